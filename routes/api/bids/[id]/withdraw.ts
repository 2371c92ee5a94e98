import { HttpError } from "../../../../framework/http_error.ts";
import { uuidParam } from "../../../../services/auth/schemas.ts";
import { bidSchema, runIdempotent, versionBody } from "../../../../services/bids/api.ts";
import { submissionDeadline } from "../../../../services/bids/schema.ts";
import { getBid, transition } from "../../../../services/bids/store.ts";
import type { Iso } from "../../../../services/market/zones.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Withdraw a draft or submitted bid before the gate closes",
    tags: ["bids"],
    permission: "bids:write",
    params: uuidParam,
    body: versionBody,
    responses: {
      200: { description: "Withdrawn", schema: bidSchema },
      409: { description: "Gate closed, already cleared, or changed meanwhile" },
    },
    async handler(ctx, { params, body }) {
      return await runIdempotent(ctx, { id: params.id, ...body }, async (tx, p) => {
        const bid = await getBid(tx, p.orgId, params.id);
        const deadline = submissionDeadline(bid.zone as Iso, bid.market, bid.interval_start);
        if (Date.now() >= deadline.getTime()) {
          throw new HttpError(409, `The gate for this interval closed at ${deadline.toISOString()}`, {
            code: "gate_closed",
          });
        }
        const out = await transition(tx, p.orgId, params.id, ["draft", "submitted"], "withdrawn", p, {
          expectedVersion: body?.version,
        });
        return { status: 200, body: out };
      });
    },
  },
});
