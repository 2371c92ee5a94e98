import { csvResponse } from "../../../services/http/csv.ts";
import { historyQuery } from "../../../services/market/api_schemas.ts";
import { history } from "../../../services/market/store.ts";
import { define } from "../../../utils.ts";

const PAGE = 5000;
const HEADER = "interval_start_utc,interval_end_utc,zone,market,lmp,energy,congestion,loss";

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
      async function* pages() {
        let after: string | undefined;
        do {
          const page = await history(db, {
            zone: query.zone,
            market: query.market,
            from: new Date(query.from),
            to: new Date(query.to),
            limit: PAGE,
            after,
          });
          yield page.items.map((t) =>
            `${t.interval_start},${t.interval_end},${t.zone},${t.market},${t.lmp},${t.energy},${t.congestion},${t.loss}`
          );
          after = page.next ?? undefined;
        } while (after);
      }
      const name = `${query.zone}_${query.market}_${query.from.slice(0, 10)}_${query.to.slice(0, 10)}.csv`;
      return csvResponse(name, HEADER, pages());
    },
  },
});
