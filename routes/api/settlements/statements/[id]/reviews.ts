import { caller } from "../../../../../server/bids_http.ts";
import { uuidParam } from "../../../../../services/auth/schemas.ts";
import { reviewDifference, reviewInput } from "../../../../../services/settlement/actions.ts";
import { differenceSchema } from "../../../../../services/settlement/views.ts";
import { define } from "../../../../../utils.ts";

export const handler = define.api({
  PUT: {
    summary: "Mark a difference disputed or explained",
    description: "With a comment; audited (`settlement.disputed` / `settlement.explained`). The key is the " +
      "difference's hour, location and market. A matched line is a 409 `not_a_difference`.",
    tags: ["settlements"],
    permission: "bids:write",
    params: uuidParam,
    body: reviewInput,
    responses: {
      200: { description: "The difference with its review", schema: differenceSchema },
      404: { description: "No such statement, or no such line in it" },
      409: { description: "Not a difference" },
    },
    async handler(ctx, { params, body }) {
      return { body: await reviewDifference(ctx.state.services.db(), caller(ctx), params.id, body) };
    },
  },
});
