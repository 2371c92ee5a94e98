import { z } from "zod";
import { bidDeps, caller, withBody } from "../../../server/bids_http.ts";
import { answer, keyedRequest } from "../../../server/idempotency_http.ts";
import { createBids, MAX_BATCH } from "../../../services/bids/actions.ts";
import { anyBidInputSchema } from "../../../services/bids/schema.ts";
import { bidSchema } from "../../../services/bids/views.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: `Create (and optionally submit) up to ${MAX_BATCH} bids, all or nothing`,
    description: "Every bid is checked; if any is invalid nothing is created and the 400 lists the errors per " +
      "item (`details[].index`). With `submit`, the bids are judged together against each asset's live bids " +
      "(power, and a storage asset's energy across the operating day): a batch that over-commits is a 409 " +
      "`over_committed` naming each bid, and nothing is created. `replaces`: ids of drafts or submitted bids " +
      "(of the batch's assets, gate still open) that this batch supersedes, e.g. the previous version of a day: " +
      "they are withdrawn in the same transaction (history names the bid replacing each); without `submit` only " +
      "drafts may be replaced. " +
      "Accepts `Idempotency-Key`.",
    tags: ["bids"],
    permission: "bids:write",
    body: z.object({
      bids: z.array(anyBidInputSchema).min(1).max(MAX_BATCH),
      submit: z.boolean().default(false),
      replaces: z.array(z.uuid()).max(MAX_BATCH).optional()
        .describe("Bids this batch supersedes (drafts only without submit); withdrawn atomically with it"),
    }),
    responses: {
      201: { description: "All created", schema: z.object({ items: z.array(bidSchema) }) },
      400: { description: "Errors per item; nothing created" },
      404: { description: "An asset, or a bid to replace, is not found" },
      409: { description: "Over-committed asset (details per bid), or a bid to replace can no longer be withdrawn" },
    },
    async handler(ctx, { body }) {
      const out = await withBody(() =>
        createBids(bidDeps(ctx), caller(ctx), body, { idempotency: keyedRequest(ctx, body) })
      );
      return answer(out, 201);
    },
  },
});
