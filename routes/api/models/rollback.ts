import { modelCaller, modelDeps } from "../../../server/models_http.ts";
import { rollbackModel } from "../../../services/models/actions.ts";
import { rollbackBody, stageChangeSchema } from "../../../services/models/schema.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Roll a model back to its previous production version",
    description: "The archived version of `name` whose stage changed last becomes production again and the current " +
      "one is archived (so a second rollback undoes the first). Platform operator only, as promotion. Audited in " +
      "the caller's organization; with MLflow, the `production` alias follows.",
    tags: ["models"],
    permission: "models:promote",
    feature: "forecasts",
    body: rollbackBody,
    responses: {
      200: { description: "Rolled back", schema: stageChangeSchema },
      403: { description: "Not the platform operator" },
      404: { description: "No model of that name" },
      409: { description: "No earlier production version" },
    },
    async handler(ctx, { body }) {
      return { body: await rollbackModel(modelDeps(ctx), modelCaller(ctx), body.name) };
    },
  },
});
