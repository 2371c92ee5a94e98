import { uuidParam } from "../../../../services/auth/schemas.ts";
import { bidDeps, caller } from "../../../../server/bids_http.ts";
import { answer, keyedRequest } from "../../../../server/idempotency_http.ts";
import { submitBid } from "../../../../services/bids/actions.ts";
import { bidSchema, versionBody } from "../../../../services/bids/views.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Submit a draft to the market",
    description: "Checked again now (the gate may have closed since the draft was made). The body is optional: " +
      "send `{ version }` to refuse (409) a draft changed since you read it. Accepts `Idempotency-Key`.",
    tags: ["bids"],
    permission: "bids:write",
    params: uuidParam,
    body: versionBody,
    responses: {
      200: { description: "Submitted", schema: bidSchema },
      400: { description: "No longer valid (e.g. its asset's limits changed)" },
      409: { description: "Not a draft, the market closed for it, or changed meanwhile" },
    },
    async handler(ctx, { params, body }) {
      const out = await submitBid(bidDeps(ctx), caller(ctx), params.id, body ?? {}, {
        idempotency: keyedRequest(ctx, { id: params.id, ...body }),
      });
      return answer(out, 200);
    },
  },
});
