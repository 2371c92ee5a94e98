import { z } from "zod";
import { bidDeps, caller } from "../../../../../server/bids_http.ts";
import { answer, keyedRequest } from "../../../../../server/idempotency_http.ts";
import { uuidParam } from "../../../../../services/auth/schemas.ts";
import { createOptimisedBids } from "../../../../../services/optimize/actions.ts";
import { optimiseRequest } from "../../../../../services/optimize/schemas.ts";
import { bidSchema } from "../../../../../services/bids/views.ts";
import { define } from "../../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Optimise a storage asset's day and create its bids as drafts",
    description: "Optimises the day as `POST /api/assets/{id}/optimise` does (at the latest forecast), then writes " +
      "its curves as drafts in one batch, all or nothing, each validated as any bid (a DA gate already closed is a " +
      "400 naming each bid). Review and submit them on /bidding. Accepts `Idempotency-Key`.",
    tags: ["assets", "bids"],
    permission: "bids:write",
    params: uuidParam,
    body: optimiseRequest,
    responses: {
      201: { description: "The drafts created", schema: z.object({ items: z.array(bidSchema) }) },
      400: { description: "Not a storage asset, bad parameters, no feasible schedule, or bids refused" },
      404: { description: "No such asset" },
      422: { description: "No complete forecast for the day, or nothing to bid (idle all day)" },
    },
    async handler(ctx, { params, body }) {
      const out = await createOptimisedBids(bidDeps(ctx), caller(ctx), params.id, body, {
        idempotency: keyedRequest(ctx, body),
      });
      return answer(out, 201);
    },
  },
});
