import { z } from "zod";
import { bidDeps, caller, withBody } from "../../../server/bids_http.ts";
import { answer, keyedRequest } from "../../../server/idempotency_http.ts";
import { createBids, MAX_BATCH } from "../../../services/bids/actions.ts";
import { bidInputSchema } from "../../../services/bids/schema.ts";
import { bidSchema } from "../../../services/bids/views.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: `Create (and optionally submit) up to ${MAX_BATCH} bids, all or nothing`,
    description: "Every bid is checked; if any is invalid nothing is created and the 400 lists the errors per " +
      "item (`details[].index`). Accepts `Idempotency-Key`.",
    tags: ["bids"],
    permission: "bids:write",
    body: z.object({ bids: z.array(bidInputSchema).min(1).max(MAX_BATCH), submit: z.boolean().default(false) }),
    responses: {
      201: { description: "All created", schema: z.object({ items: z.array(bidSchema) }) },
      400: { description: "Errors per item; nothing created" },
    },
    async handler(ctx, { body }) {
      const out = await withBody(() =>
        createBids(bidDeps(ctx), caller(ctx), body, { idempotency: keyedRequest(ctx, body) })
      );
      return answer(out, 201);
    },
  },
});
