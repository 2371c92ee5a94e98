import { forecasts } from "../../../services/forecast_live/reads.ts";
import { forecastsQuery, forecastsResponse } from "../../../services/forecast_live/schema.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Day-ahead price forecasts as known at an instant",
    description: "For each DA delivery interval in [`from`, `to`) (at most 31 days), the 10/50/90 % forecast of " +
      "the latest run made at or before `asOf` (default now). Runs are vintaged and never overwritten, so an " +
      "earlier `asOf` answers what was known then. `p10`/`p90` are null until the model has enough past errors.",
    tags: ["forecasts"],
    permission: "forecast:read",
    feature: "forecasts",
    query: forecastsQuery,
    responses: { 200: { description: "Forecasts, oldest interval first", schema: forecastsResponse } },
    async handler(ctx, { query }) {
      return { body: await forecasts(ctx.state.services.db(), query) };
    },
  },
});
