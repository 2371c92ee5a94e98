import { caller } from "../../../server/bids_http.ts";
import { principal } from "../../../server/auth_http.ts";
import { getPolicy, savePolicy } from "../../../services/bids/approval.ts";
import { approvalPolicyInput, approvalPolicySchema } from "../../../services/bids/approval_policy.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Your organization's approval policy",
    description: "Which bids need a second person before they reach the market (four-eyes): all, above a MW " +
      "or a notional-value threshold, or made by a strategy; and whether strategies may submit.",
    tags: ["approvals"],
    permission: "bids:read",
    responses: { 200: { description: "The policy", schema: approvalPolicySchema } },
    async handler(ctx) {
      return { body: await getPolicy(ctx.state.services.db(), principal(ctx).orgId) };
    },
  },
  PUT: {
    summary: "Set your organization's approval policy",
    description: "Admins only. Applies to submissions from now on; bids already pending stay pending.",
    tags: ["approvals"],
    permission: "org:update",
    body: approvalPolicyInput,
    responses: { 200: { description: "Saved", schema: approvalPolicySchema } },
    async handler(ctx, { body }) {
      return { body: await savePolicy(ctx.state.services.db(), caller(ctx), body) };
    },
  },
});
