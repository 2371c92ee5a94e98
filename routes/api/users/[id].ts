import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { memberSchema, personName, plain, roleSchema, uuidParam } from "../../../services/auth/schemas.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "A member of your organization",
    tags: ["users"],
    permission: "users:read",
    params: uuidParam,
    responses: { 200: { description: "The member", schema: memberSchema }, 404: { description: "Not a member" } },
    async handler(ctx, { params }) {
      return { body: plain(await ctx.state.services.auth.org.member(principal(ctx), params.id)) };
    },
  },
  PUT: {
    summary: "Change a member's role, status, name or approver grant",
    description: "Admins only. Disabling ends the member's sessions at once. The last active admin cannot be " +
      "demoted or disabled (409).",
    tags: ["users"],
    permission: "users:manage",
    params: uuidParam,
    body: z.object({
      role: roleSchema.optional(),
      status: z.enum(["active", "disabled"]).optional(),
      name: personName.optional(),
      approver: z.boolean().optional().describe("Let the member approve others' bids (four-eyes)"),
    }),
    responses: {
      200: { description: "Updated", schema: memberSchema },
      404: { description: "Not a member" },
      409: { description: "Would leave no admin" },
    },
    async handler(ctx, { params, body }) {
      return {
        body: plain(await ctx.state.services.auth.org.updateMember(principal(ctx), params.id, body, ctx.state.ip)),
      };
    },
  },
  DELETE: {
    summary: "Remove a member from your organization",
    description: "Ends their sessions and revokes their API keys. The last admin cannot be removed (409).",
    tags: ["users"],
    permission: "users:manage",
    params: uuidParam,
    responses: {
      204: { description: "Removed" },
      404: { description: "Not a member" },
      409: { description: "Last admin" },
    },
    async handler(ctx, { params }) {
      await ctx.state.services.auth.org.removeMember(principal(ctx), params.id, ctx.state.ip);
      return { status: 204, body: null };
    },
  },
});
