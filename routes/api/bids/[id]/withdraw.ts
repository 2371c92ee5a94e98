import { uuidParam } from "../../../../services/auth/schemas.ts";
import { bidDeps, caller } from "../../../../server/bids_http.ts";
import { answer, keyedRequest } from "../../../../server/idempotency_http.ts";
import { withdrawBid } from "../../../../services/bids/actions.ts";
import { bidSchema, versionBody } from "../../../../services/bids/views.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Withdraw a draft (any time) or a submitted bid (while its market is open)",
    description: "The body is optional: send `{ version }` to refuse (409) a bid changed since you read it. " +
      "Accepts `Idempotency-Key`.",
    tags: ["bids"],
    permission: "bids:write",
    params: uuidParam,
    body: versionBody,
    responses: {
      200: { description: "Withdrawn", schema: bidSchema },
      409: { description: "Market closed for a submitted bid, already cleared, or changed meanwhile" },
    },
    async handler(ctx, { params, body }) {
      const out = await withdrawBid(bidDeps(ctx), caller(ctx), params.id, body ?? {}, {
        idempotency: keyedRequest(ctx, { id: params.id, ...body }),
      });
      return answer(out, 200);
    },
  },
});
