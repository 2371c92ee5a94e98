import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { memberSchema, plain } from "../../../services/auth/schemas.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Members of your organization",
    tags: ["users"],
    permission: "users:read",
    responses: { 200: { description: "Members", schema: z.object({ items: z.array(memberSchema) }) } },
    async handler(ctx) {
      return { body: { items: plain(await ctx.state.services.auth.org.members(principal(ctx))) } };
    },
  },
});
