import { listModels } from "../../../services/models/actions.ts";
import { modelListQuery, modelPageSchema } from "../../../services/models/schema.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Model versions of the forecast registry",
    description: "The installation's forecast models (they forecast public prices, so every organization sees the " +
      "same ones): by name, newest version first. Filters: `name`, `stage`. Page with `cursor` = the previous " +
      "page's `next_cursor`.",
    tags: ["models"],
    permission: "forecast:read",
    feature: "forecasts",
    query: modelListQuery,
    responses: {
      200: { description: "A page of model versions", schema: modelPageSchema },
      400: { description: "Bad filter or cursor" },
    },
    async handler(ctx, { query }) {
      return { body: await listModels(ctx.state.services.db(), query) };
    },
  },
});
