import { accuracy } from "../../../services/forecast_live/reads.ts";
import { accuracyQuery, accuracyResponse } from "../../../services/forecast_live/schema.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Rolling accuracy of the live forecasts",
    description: "Over the last `days` operating days (up to tomorrow's, once its prices are out): the latest " +
      "forecast made before each day's gate against the DA prices that came. MAE in $/MWh; rMAE against the " +
      "weekly-seasonal naive forecast (Tue–Fri the day before, Sat–Mon the same day a week before); sMAPE as a " +
      "fraction; coverage of the 10–90 % band. Figures are null while there is nothing to compare.",
    tags: ["forecasts"],
    permission: "forecast:read",
    feature: "forecasts",
    query: accuracyQuery,
    responses: { 200: { description: "Accuracy", schema: accuracyResponse } },
    async handler(ctx, { query }) {
      return { body: await accuracy(ctx.state.services.db(), query.zone, query.days) };
    },
  },
});
