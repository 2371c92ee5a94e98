import { principal } from "../../../server/auth_http.ts";
import { memberSchema, plain } from "../../../services/auth/schemas.ts";
import { pageQuery, pageSchema } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Members of your organization",
    description: "By when they joined. Page with `cursor` = the previous page's `next_cursor`.",
    tags: ["users"],
    permission: "users:read",
    query: pageQuery({ defaultLimit: 100, maxLimit: 500 }),
    responses: { 200: { description: "A page of members", schema: pageSchema(memberSchema) } },
    async handler(ctx, { query }) {
      const page = await ctx.state.services.auth.org.membersPage(principal(ctx), query);
      return { body: { items: plain(page.items), next_cursor: page.next_cursor } };
    },
  },
});
