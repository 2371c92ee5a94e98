import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { permissionsOf } from "../../../services/auth/rbac.ts";
import { meSchema, personName, preferencesSchema } from "../../../services/auth/schemas.ts";
import type { State } from "../../../utils.ts";
import type { FreshContext } from "fresh";
import { define } from "../../../utils.ts";

async function me(ctx: FreshContext<State>) {
  const p = principal(ctx);
  const { user, organization } = await ctx.state.services.auth.profile.me(p);
  return {
    user,
    organization,
    role: p.role,
    permissions: permissionsOf(p.role, p.approver),
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
      await ctx.state.services.auth.profile.update(principal(ctx).userId, body);
      return { body: await me(ctx) };
    },
  },
});
