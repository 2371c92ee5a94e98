import { principal } from "../../../server/auth_http.ts";
import { pendingPage } from "../../../services/bids/approval.ts";
import { bidSchema } from "../../../services/bids/views.ts";
import { pageQuery, pageSchema } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "The approval queue: bids waiting for you to approve or reject",
    description: "Bids of your organization in `pending_approval`, soonest delivery first, except your own " +
      "(nobody approves their own bid). Admins and approvers only. Page with `cursor`.",
    tags: ["approvals"],
    permission: "bids:approve",
    query: pageQuery({ defaultLimit: 100, maxLimit: 500 }),
    responses: { 200: { description: "A page of pending bids", schema: pageSchema(bidSchema) } },
    async handler(ctx, { query }) {
      const p = principal(ctx);
      return { body: await pendingPage(ctx.state.services.db(), p.orgId, { ...query, except_of: p.userId }) };
    },
  },
});
