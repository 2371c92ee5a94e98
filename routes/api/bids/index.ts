import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { bidDeps, caller, withBody } from "../../../server/bids_http.ts";
import { answer, keyedRequest } from "../../../server/idempotency_http.ts";
import { createBid } from "../../../services/bids/actions.ts";
import { anyBidInputSchema } from "../../../services/bids/schema.ts";
import { listBids } from "../../../services/bids/store.ts";
import { bidFilterQuery, bidPageSchema, bidSchema } from "../../../services/bids/views.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Bids of your organization",
    description: "Newest delivery first. Filters: status, zone, market, asset, delivery range [from, to). " +
      "`kind` = physical or virtual. Page with `cursor` = the previous page's `next_cursor`.",
    tags: ["bids"],
    permission: "bids:read",
    query: bidFilterQuery.extend({
      limit: z.coerce.number().int().min(1).max(500).default(100),
      cursor: z.string().max(200).optional(),
    }),
    responses: { 200: { description: "A page of bids", schema: bidPageSchema } },
    async handler(ctx, { query }) {
      return { body: await listBids(ctx.state.services.db(), principal(ctx).orgId, query) };
    },
  },
  POST: {
    summary: "Create a bid (a draft)",
    description: "Validated against the asset and the zone's rules (segments, prices, capacity, gate closure). " +
      'A virtual bid (`kind: "virtual"`) has no asset but a zone, a pricing `location` (hub or node the zone ' +
      "accepts, GET /api/virtual-bids/rules) and a side `inc` or `dec`, DA only; the zone's virtual rules apply. " +
      "`zone` may be left out: the asset fixes it (if sent, it must be the asset's). " +
      "Send `Idempotency-Key` to make a retry safe: the same key returns the first answer, byte for byte, " +
      "and creates nothing.",
    tags: ["bids"],
    permission: "bids:write",
    body: anyBidInputSchema,
    responses: {
      201: { description: "Created as a draft", schema: bidSchema },
      400: { description: "Invalid: every rule broken, each naming its field" },
      404: { description: "No such asset" },
      422: { description: "Idempotency-Key reused for another request" },
    },
    async handler(ctx, { body }) {
      const out = await withBody(() =>
        createBid(bidDeps(ctx), caller(ctx), body, { idempotency: keyedRequest(ctx, body) })
      );
      return answer(out, 201);
    },
  },
});
