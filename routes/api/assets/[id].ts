import { principal } from "../../../server/auth_http.ts";
import { uuidParam } from "../../../services/auth/schemas.ts";
import { assetInput, assetSchema } from "../../../services/assets/schemas.ts";
import { getAsset } from "../../../services/assets/store.ts";
import { deleteAsset, updateAsset } from "../../../services/assets/actions.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "An asset",
    tags: ["assets"],
    permission: "assets:read",
    params: uuidParam,
    responses: { 200: { description: "The asset", schema: assetSchema }, 404: { description: "Not found" } },
    async handler(ctx, { params }) {
      return { body: await getAsset(ctx.state.services.db(), principal(ctx).orgId, params.id) };
    },
  },
  PUT: {
    summary: "Replace an asset",
    tags: ["assets"],
    permission: "assets:write",
    params: uuidParam,
    body: assetInput,
    responses: { 200: { description: "Updated", schema: assetSchema }, 404: { description: "Not found" } },
    async handler(ctx, { params, body }) {
      const actor = { principal: principal(ctx), ip: ctx.state.ip };
      return { body: await updateAsset(ctx.state.services.db(), actor, params.id, body) };
    },
  },
  DELETE: {
    summary: "Delete an asset without bids",
    tags: ["assets"],
    permission: "assets:write",
    params: uuidParam,
    responses: { 204: { description: "Deleted" }, 409: { description: "Has bids" } },
    async handler(ctx, { params }) {
      await deleteAsset(ctx.state.services.db(), { principal: principal(ctx), ip: ctx.state.ip }, params.id);
      return { status: 204, body: null };
    },
  },
});
