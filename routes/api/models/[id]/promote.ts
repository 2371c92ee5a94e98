import { uuidParam } from "../../../../services/auth/schemas.ts";
import { modelCaller, modelDeps } from "../../../../server/models_http.ts";
import { promoteModel } from "../../../../services/models/actions.ts";
import { stageChangeSchema } from "../../../../services/models/schema.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Promote a model version to production",
    description: "The live forecast job uses the production version of each model name. In one transaction the " +
      "name's current production version is archived and this one becomes production; promoting the production " +
      "version again changes nothing (`changed: false`). Because this changes what every organization sees, the " +
      "caller must also be the platform operator (OPERATOR_EMAILS), signed in (not an API key); an organization " +
      "admin who is not gets 403. Audited in the caller's organization; with MLflow, the registered model's " +
      "`production` alias follows.",
    tags: ["models"],
    permission: "models:promote",
    feature: "forecasts",
    params: uuidParam,
    responses: {
      200: { description: "Promoted (or already production)", schema: stageChangeSchema },
      403: { description: "Not the platform operator" },
      404: { description: "No such model version" },
    },
    async handler(ctx, { params }) {
      return { body: await promoteModel(modelDeps(ctx), modelCaller(ctx), params.id) };
    },
  },
});
