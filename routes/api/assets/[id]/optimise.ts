import { principal } from "../../../../server/auth_http.ts";
import { uuidParam } from "../../../../services/auth/schemas.ts";
import { optimiseAsset } from "../../../../services/optimize/actions.ts";
import { optimisation, optimiseRequest } from "../../../../services/optimize/schemas.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Optimise a storage asset's delivery day",
    description: "The schedule (charge/discharge MW and state of charge per hour) that maximises the day's " +
      "expected revenue at the zone's latest DA price forecast, solved exactly as a linear programme (HiGHS), " +
      "and that schedule as DA curves: an offer per discharge hour, a bid per charge hour, priced at the break-even " +
      "of the round trip read off the forecast's 10/90 % quantiles, so the battery does not act when the real " +
      "price is on the wrong side. Nothing is stored; `POST /api/assets/{id}/optimise/bids` writes the curves as " +
      "drafts. 400 when no schedule fits the asset's limits (e.g. an end state of charge out of reach), 422 when " +
      "the day has no complete forecast.",
    tags: ["assets"],
    permission: "assets:read",
    params: uuidParam,
    body: optimiseRequest,
    responses: {
      200: { description: "The schedule and its curves", schema: optimisation },
      400: { description: "Not a storage asset, bad parameters, or no feasible schedule (`infeasible`)" },
      404: { description: "No such asset" },
      422: { description: "No complete forecast for the day (`no_forecast`)" },
    },
    async handler(ctx, { params, body }) {
      const { orgId } = principal(ctx);
      return { body: await optimiseAsset(ctx.state.services.db(), orgId, params.id, body) };
    },
  },
});
