import { uuidParam } from "../../../../services/auth/schemas.ts";
import { bidDeps, caller } from "../../../../server/bids_http.ts";
import { answer, keyedRequest } from "../../../../server/idempotency_http.ts";
import { rejectBid } from "../../../../services/bids/actions.ts";
import { bidSchema, rejectBody } from "../../../../services/bids/views.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Reject a bid pending approval, with a reason",
    description: "Four-eyes: admins and members granted `approver` only, never on a bid of their own (403 " +
      "`own_bid`). The reason is kept on the bid (`reject_reason`) and in its history. Accepts `Idempotency-Key`.",
    tags: ["approvals"],
    permission: "bids:approve",
    params: uuidParam,
    body: rejectBody,
    responses: {
      200: { description: "Rejected", schema: bidSchema },
      403: { description: "Not an approver, or your own bid" },
      409: { description: "Not pending approval, or changed meanwhile" },
    },
    async handler(ctx, { params, body }) {
      const out = await rejectBid(bidDeps(ctx), caller(ctx), params.id, body, {
        idempotency: keyedRequest(ctx, { id: params.id, ...body }),
      });
      return answer(out, 200);
    },
  },
});
