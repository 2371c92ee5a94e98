import { HttpError } from "../../../../framework/http_error.ts";
import { uuidParam } from "../../../../services/auth/schemas.ts";
import { bidSchema, runIdempotent, validated, versionBody } from "../../../../services/bids/api.ts";
import { getBid, transition } from "../../../../services/bids/store.ts";
import { checkCommitment } from "../../../../services/bids/commitment.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Submit a draft to the market",
    description: "Checked again now (the gate may have closed since the draft was made). Accepts `Idempotency-Key`.",
    tags: ["bids"],
    permission: "bids:write",
    params: uuidParam,
    body: versionBody,
    responses: {
      200: { description: "Submitted", schema: bidSchema },
      400: { description: "No longer valid (e.g. gate closed)" },
      409: { description: "Not a draft, changed meanwhile, or the asset cannot also take it on (`over_committed`)" },
    },
    async handler(ctx, { params, body }) {
      return await runIdempotent(ctx, { id: params.id, ...body }, async (tx, p) => {
        const bid = await getBid(tx, p.orgId, params.id);
        if (bid.status !== "draft") {
          throw new HttpError(409, `A ${bid.status} bid cannot be submitted`, { code: "invalid_transition" });
        }
        const { asset_id, zone, market, interval_start, side, segments } = bid;
        await validated(tx, p, { asset_id, zone: zone as never, market, interval_start, side, segments });
        await checkCommitment(tx, p.orgId, bid);
        const submitted = await transition(tx, p.orgId, params.id, ["draft"], "submitted", p, {
          expectedVersion: body?.version,
          set: { submitted_at: new Date() },
        });
        return { status: 200, body: submitted };
      });
    },
  },
});
