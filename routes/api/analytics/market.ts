import { resolveRange } from "../../../services/http/range.ts";
import { MARKET_RANGE, marketQuery, marketResponse } from "../../../services/analytics/schema.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Market analytics of a zone (and its correlation with others)",
    description: "For the first of `zones`, the market (`RT`, `DA` or `SPREAD` = DA − the hour's mean RT) and " +
      "[from, to) widened to whole hours: summary statistics, hour × weekday profile, price duration curve, " +
      "DA–RT spread (distribution, mean by hour, cumulative INC/DEC), rolling volatility of hourly RT returns, RT " +
      "spikes (robust z-score against the hour-of-week median of the 4 weeks before), the correlation matrix " +
      "of hourly prices across `zones`, and the live forecasts' accuracy per zone. Percentiles are nearest-rank " +
      "(the value at rank ⌈p·n/100⌉). Computed in the database (ClickHouse when configured and answering, else " +
      "Postgres; `engine` says which), at most a few thousand points whatever the range (up to " +
      `${MARKET_RANGE.maxDays} days; default the last ${MARKET_RANGE.defaultDays}).`,
    tags: ["analytics"],
    permission: "analytics:read",
    feature: "analytics",
    query: marketQuery,
    responses: { 200: { description: "Market analytics", schema: marketResponse } },
    async handler(ctx, { query }) {
      const { from, to } = resolveRange(query, MARKET_RANGE);
      return {
        body: await ctx.state.services.analytics.market({
          zones: query.zones,
          market: query.market,
          from,
          to,
          threshold: query.threshold,
        }),
      };
    },
  },
});
