import { historyQuery, historyResponse } from "../../../services/market/api_schemas.ts";
import { history } from "../../../services/market/store.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Price history of a zone",
    description: "Oldest first, `limit` ≤ 10,000 a page; pass `cursor` = the previous page's `next_cursor`. " +
      "`from` must be before `to`, and the range at most 366 days.",
    tags: ["market-data"],
    permission: "market:read",
    query: historyQuery,
    responses: { 200: { description: "A page of prices", schema: historyResponse } },
    async handler(ctx, { query }) {
      const page = await history(ctx.state.services.db(), {
        zone: query.zone,
        market: query.market,
        from: new Date(query.from),
        to: new Date(query.to),
        limit: query.limit,
        after: query.cursor,
      });
      return { body: { items: page.items, next_cursor: page.next } };
    },
  },
});
