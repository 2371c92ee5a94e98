import { z } from "zod";
import { HttpError } from "../../../framework/http_error.ts";
import { bidSchema, runIdempotent, validated } from "../../../services/bids/api.ts";
import { bidInputSchema } from "../../../services/bids/schema.ts";
import { type BidView, insertBid, transition } from "../../../services/bids/store.ts";
import { checkCommitment, lockAssets } from "../../../services/bids/commitment.ts";
import { toHttpError } from "../../../server/errors.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Create (and optionally submit) up to 500 bids, all or nothing",
    description: "Every bid is checked; if any is invalid nothing is created and the 400 lists the errors per " +
      "item (`details[].index`). Accepts `Idempotency-Key`.",
    tags: ["bids"],
    permission: "bids:write",
    body: z.object({ bids: z.array(bidInputSchema).min(1).max(500), submit: z.boolean().default(false) }),
    responses: {
      201: { description: "All created", schema: z.object({ items: z.array(bidSchema) }) },
      400: { description: "Errors per item; nothing created" },
      409: { description: "With `submit`, a bid the asset cannot take on (`over_committed`); nothing created" },
    },
    async handler(ctx, { body }) {
      return await runIdempotent(ctx, body, async (tx, p) => {
        const now = new Date();
        const errors: { index: number; path: string; message: string; code: string }[] = [];
        const checked = [];
        for (const [index, input] of body.bids.entries()) {
          try {
            checked.push(await validated(tx, p, input, now, `body.bids.${index}`));
          } catch (e) {
            const http = toHttpError(e); // an unknown asset is a DomainError from the assets store
            if (!http || http.status >= 500) throw e;
            const details = (http.options.details as { path: string; message: string; code: string }[] | undefined) ??
              [{ path: `body.bids.${index}.asset_id`, message: http.message, code: http.options.code ?? "invalid" }];
            errors.push(...details.map((d) => ({ index, ...d })));
          }
        }
        if (errors.length) {
          throw new HttpError(
            400,
            `${new Set(errors.map((e) => e.index)).size} of ${body.bids.length} bids are invalid; none were created`,
            {
              code: "validation_failed",
              details: errors,
            },
          );
        }
        const items: BidView[] = [];
        if (body.submit) await lockAssets(tx, p.orgId, checked.map((b) => b.asset_id));
        for (const bid of checked) {
          const created = await insertBid(tx, p, bid);
          if (body.submit) await checkCommitment(tx, p.orgId, created);
          items.push(
            body.submit
              ? await transition(tx, p.orgId, created.id, ["draft"], "submitted", p, { set: { submitted_at: now } })
              : created,
          );
        }
        return { status: 201, body: { items } };
      });
    },
  },
});
