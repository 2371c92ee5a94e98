import { principal } from "../../../server/auth_http.ts";
import { caller } from "../../../server/bids_http.ts";
import { uuidParam } from "../../../services/auth/schemas.ts";
import { deleteStrategy, editStrategy } from "../../../services/strategies/actions.ts";
import { strategySchema, strategyUpdate } from "../../../services/strategies/schema.ts";
import { getStrategy } from "../../../services/strategies/store.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "A saved strategy",
    tags: ["strategies"],
    permission: "bids:read",
    feature: "strategies",
    params: uuidParam,
    responses: { 200: { description: "The strategy", schema: strategySchema }, 404: { description: "Not found" } },
    async handler(ctx, { params }) {
      return { body: await getStrategy(ctx.state.services.db(), principal(ctx).orgId, params.id) };
    },
  },
  PUT: {
    summary: "Replace a saved strategy",
    description: "Send the whole strategy with the `version` you read (a change made since is a 409). You become " +
      "its owner.",
    tags: ["strategies"],
    permission: "bids:write",
    feature: "strategies",
    params: uuidParam,
    body: strategyUpdate,
    responses: {
      200: { description: "Saved", schema: strategySchema },
      404: { description: "Not found" },
      409: { description: "Changed since you read it, or the name is taken" },
    },
    async handler(ctx, { params, body }) {
      const { version, ...input } = body;
      return { body: await editStrategy(ctx.state.services.db(), caller(ctx), params.id, version, input) };
    },
  },
  DELETE: {
    summary: "Delete a saved strategy and its runs",
    description: "The bids it made stay.",
    tags: ["strategies"],
    permission: "bids:write",
    feature: "strategies",
    params: uuidParam,
    responses: { 204: { description: "Deleted" }, 404: { description: "Not found" } },
    async handler(ctx, { params }) {
      await deleteStrategy(ctx.state.services.db(), caller(ctx), params.id);
      return { status: 204, body: null };
    },
  },
});
