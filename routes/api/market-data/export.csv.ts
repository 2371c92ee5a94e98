import { historyQuery } from "../../../services/market/api_schemas.ts";
import { history } from "../../../services/market/store.ts";
import { define } from "../../../utils.ts";

const PAGE = 5000;
const HEADER = "interval_start_utc,interval_end_utc,zone,market,lmp,energy,congestion,loss\n";

export const handler = define.api({
  GET: {
    summary: "Price history as CSV",
    description: "The same filters as /api/market-data/history without paging: the whole range, streamed " +
      "(read and sent a page at a time, never built in memory).",
    tags: ["market-data"],
    permission: "market:read",
    query: historyQuery,
    responses: { 200: { description: "CSV", contentType: "text/csv" } },
    handler(ctx, { query }) {
      const db = ctx.state.services.db();
      const encoder = new TextEncoder();
      let after: string | undefined;
      let started = false;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (!started) {
            started = true;
            controller.enqueue(encoder.encode(HEADER));
            return;
          }
          const page = await history(db, {
            zone: query.zone,
            market: query.market,
            from: new Date(query.from),
            to: new Date(query.to),
            limit: PAGE,
            after,
          });
          if (page.items.length) {
            controller.enqueue(encoder.encode(
              page.items.map((t) =>
                `${t.interval_start},${t.interval_end},${t.zone},${t.market},${t.lmp},${t.energy},${t.congestion},${t.loss}\n`
              ).join(""),
            ));
          }
          if (!page.next) controller.close();
          else after = page.next;
        },
      });
      const name = `${query.zone}_${query.market}_${query.from.slice(0, 10)}_${query.to.slice(0, 10)}.csv`;
      return new Response(body, {
        headers: {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="${name}"`,
          "cache-control": "no-store",
        },
      });
    },
  },
});
