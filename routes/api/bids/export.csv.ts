import { principal } from "../../../services/auth/http.ts";
import { bidFilterQuery } from "../../../services/bids/api.ts";
import { listBids } from "../../../services/bids/store.ts";
import { define } from "../../../utils.ts";

const HEADER =
  "id,asset,zone,market,interval_start_utc,interval_end_utc,side,segments,status,awarded_mw,clearing_price,revenue\n";
const csv = (v: unknown) => {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

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
      const enc = new TextEncoder();
      let cursor: string | undefined;
      let started = false;
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          if (!started) {
            started = true;
            c.enqueue(enc.encode(HEADER));
            return;
          }
          const page = await listBids(db, orgId, { ...query, limit: 500, cursor });
          c.enqueue(enc.encode(
            page.items.map((b) =>
              [
                b.id,
                b.asset_name,
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
              ].map(csv).join(",") + "\n"
            ).join(""),
          ));
          if (!page.next_cursor) c.close();
          else cursor = page.next_cursor;
        },
      });
      return new Response(body, {
        headers: {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": 'attachment; filename="bids.csv"',
          "cache-control": "no-store",
        },
      });
    },
  },
});
