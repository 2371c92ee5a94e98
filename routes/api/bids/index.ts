import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { bidFilterQuery, bidSchema, runIdempotent, validated, validatedParsed } from "../../../services/bids/api.ts";
import { bidInputSchema } from "../../../services/bids/schema.ts";
import { insertBid, listBids } from "../../../services/bids/store.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Bids of your organization",
    description: "Newest delivery first. Filters: status, zone, market, asset, delivery range [from, to). " +
      "Page with `cursor` = the previous page's `next_cursor`.",
    tags: ["bids"],
    permission: "bids:read",
    query: bidFilterQuery.extend({
      limit: z.coerce.number().int().min(1).max(500).default(100),
      cursor: z.string().max(200).optional(),
    }),
    responses: {
      200: {
        description: "A page of bids",
        schema: z.object({ items: z.array(bidSchema), next_cursor: z.string().nullable() }),
      },
    },
    async handler(ctx, { query }) {
      return { body: await listBids(ctx.state.services.db(), principal(ctx).orgId, query) };
    },
  },
  POST: {
    summary: "Create a bid (a draft)",
    description: "Validated against the asset and the zone's rules (segments, prices, capacity, gate closure). " +
      "Send `Idempotency-Key` to make a retry safe: the same key returns the first answer and creates nothing.",
    tags: ["bids"],
    permission: "bids:write",
    body: bidInputSchema,
    responses: {
      201: { description: "Created as a draft", schema: bidSchema },
      400: { description: "Invalid: every rule broken, each naming its field" },
      404: { description: "No such asset" },
      422: { description: "Idempotency-Key reused for another request" },
    },
    async handler(ctx, { body }) {
      // With an Idempotency-Key the bid and the stored answer commit together; without one, concurrent
      // creations share statements (services/bids/writer.ts).
      if (!ctx.req.headers.has("idempotency-key")) {
        const p = principal(ctx);
        const bid = await validatedParsed(ctx.state.services.db(), p, body);
        const created = await ctx.state.services.bids.writer.insert(p, bid);
        ctx.state.services.bids.kick();
        return { status: 201, body: created };
      }
      return await runIdempotent(ctx, body, async (tx, p) => {
        const bid = await validated(tx, p, body);
        return { status: 201, body: await insertBid(tx, p, bid) };
      });
    },
  },
});
