import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { permissionsOf } from "../../../services/auth/rbac.ts";
import { meSchema, personName, preferencesSchema } from "../../../services/auth/schemas.ts";
import type { State } from "../../../utils.ts";
import type { FreshContext } from "fresh";
import { define } from "../../../utils.ts";

async function me(ctx: FreshContext<State>) {
  const p = principal(ctx);
  const [row] = await ctx.state.services.db().query<
    { email: string; name: string; mfa_enabled: boolean; preferences: z.infer<typeof preferencesSchema>; org: string }
  >(
    `SELECT u.email, u.name, u.mfa_enabled, u.preferences, o.name AS org
       FROM users u, organizations o WHERE u.id = $1 AND o.id = $2`,
    [p.userId, p.orgId],
  );
  return {
    user: {
      id: p.userId,
      email: row.email,
      name: row.name,
      mfa_enabled: row.mfa_enabled,
      preferences: row.preferences,
    },
    organization: { id: p.orgId, name: row.org },
    role: p.role,
    permissions: permissionsOf(p.role),
    authenticated_by: p.via,
  };
}

export const handler = define.api({
  GET: {
    summary: "The signed-in user, organization, role and permissions",
    tags: ["auth"],
    permission: "self",
    responses: { 200: { description: "You", schema: meSchema } },
    async handler(ctx) {
      return { body: await me(ctx) };
    },
  },
  PUT: {
    summary: "Update your name and preferences",
    description: "Preferences merge into the stored ones: time zone, default market zone, units, notifications.",
    tags: ["auth"],
    permission: "self",
    body: z.object({
      name: personName.optional(),
      preferences: preferencesSchema.optional(),
    }),
    responses: { 200: { description: "Updated", schema: meSchema } },
    async handler(ctx, { body }) {
      const p = principal(ctx);
      await ctx.state.services.db().query(
        `UPDATE users SET name = coalesce($2, name), preferences = preferences || coalesce($3::jsonb, '{}'::jsonb),
                updated_at = now() WHERE id = $1`,
        [p.userId, body.name ?? null, body.preferences ? JSON.stringify(body.preferences) : null],
      );
      return { body: await me(ctx) };
    },
  },
});
