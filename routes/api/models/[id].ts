import { uuidParam } from "../../../services/auth/schemas.ts";
import { getModel } from "../../../services/models/actions.ts";
import { modelSchema } from "../../../services/models/schema.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "One model version",
    description: "Its parameters, training window, backtest metrics and stage.",
    tags: ["models"],
    permission: "forecast:read",
    feature: "forecasts",
    params: uuidParam,
    responses: {
      200: { description: "The model version", schema: modelSchema },
      404: { description: "No such model version" },
    },
    async handler(ctx, { params }) {
      return { body: await getModel(ctx.state.services.db(), params.id) };
    },
  },
});
