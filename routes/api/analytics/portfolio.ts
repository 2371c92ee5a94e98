import { principal } from "../../../server/auth_http.ts";
import { resolveRange } from "../../../services/http/range.ts";
import { PORTFOLIO_RANGE, portfolioQuery, portfolioResponse } from "../../../services/analytics/schema.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Portfolio analytics of the caller's organization",
    description: "Over deliveries in [from, to) (default the last 30 days): revenue by asset, zone and operating " +
      "day, DA vs RT split, capture price of settled offers against the zone's time-weighted DA price, cleared " +
      "volume and clear rate of bids that reached clearing, battery cycles (discharged MWh / capacity) and " +
      "revenue per cycle, the best and worst days. Only the caller's organization.",
    tags: ["analytics"],
    permission: "analytics:read",
    feature: "analytics",
    query: portfolioQuery,
    responses: { 200: { description: "Portfolio analytics", schema: portfolioResponse } },
    async handler(ctx, { query }) {
      const range = resolveRange(query, PORTFOLIO_RANGE);
      return { body: await ctx.state.services.analytics.portfolio(principal(ctx).orgId, range) };
    },
  },
});
