import { uuidParam } from "../../../../services/auth/schemas.ts";
import { bidDeps, caller } from "../../../../server/bids_http.ts";
import { answer, keyedRequest } from "../../../../server/idempotency_http.ts";
import { approveBid } from "../../../../services/bids/actions.ts";
import { bidSchema, versionBody } from "../../../../services/bids/views.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Approve a bid pending approval: it goes to the market",
    description: "Four-eyes: admins and members granted `approver` only, never on a bid of their own (403 " +
      "`own_bid`). Checked again as a submit is (the gate, the asset's commitments). The body is optional: " +
      "send `{ version }` to refuse (409) a bid changed since you read it. Accepts `Idempotency-Key`.",
    tags: ["approvals"],
    permission: "bids:approve",
    params: uuidParam,
    body: versionBody,
    responses: {
      200: { description: "Approved and submitted", schema: bidSchema },
      403: { description: "Not an approver, or your own bid" },
      409: { description: "Not pending approval, the market closed for it, or changed meanwhile" },
    },
    async handler(ctx, { params, body }) {
      const out = await approveBid(bidDeps(ctx), caller(ctx), params.id, body ?? {}, {
        idempotency: keyedRequest(ctx, { id: params.id, ...body }),
      });
      return answer(out, 200);
    },
  },
});
