import { principal } from "../../../server/auth_http.ts";
import { csvField, csvResponse } from "../../../services/http/csv.ts";
import { bidFilterQuery } from "../../../services/bids/views.ts";
import { listBids } from "../../../services/bids/store.ts";
import { define } from "../../../utils.ts";

const HEADER =
  "id,asset,zone,market,interval_start_utc,interval_end_utc,side,segments,status,awarded_mw,clearing_price,revenue";

export const handler = define.api({
  GET: {
    summary: "Bids as CSV",
    description: "The same filters as GET /api/bids, every page, streamed.",
    tags: ["bids"],
    permission: "bids:read",
    query: bidFilterQuery,
    responses: { 200: { description: "CSV", contentType: "text/csv" } },
    handler(ctx, { query }) {
      const db = ctx.state.services.db();
      const { orgId } = principal(ctx);
      async function* pages() {
        let cursor: string | undefined;
        do {
          const page = await listBids(db, orgId, { ...query, limit: 500, cursor });
          yield page.items.map((b) =>
            [
              b.id,
              b.asset_name ?? `virtual ${b.location}`,
              b.zone,
              b.market,
              b.interval_start,
              b.interval_end,
              b.side,
              b.segments.map((s) => `${s.quantity}@${s.price}`).join(" "),
              b.status,
              b.awarded_mw,
              b.clearing_price,
              b.revenue,
            ].map(csvField).join(",")
          );
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
      }
      return csvResponse("bids.csv", HEADER, pages());
    },
  },
});
