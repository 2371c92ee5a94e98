import { principal } from "../../../server/auth_http.ts";
import { uuidParam } from "../../../services/auth/schemas.ts";
import { siteInput, siteSchema } from "../../../services/assets/schemas.ts";
import { getSite } from "../../../services/assets/store.ts";
import { deleteSite, updateSite } from "../../../services/assets/actions.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "A site",
    tags: ["assets"],
    permission: "assets:read",
    params: uuidParam,
    responses: { 200: { description: "The site", schema: siteSchema }, 404: { description: "Not found" } },
    async handler(ctx, { params }) {
      return { body: await getSite(ctx.state.services.db(), principal(ctx).orgId, params.id) };
    },
  },
  PUT: {
    summary: "Update a site",
    tags: ["assets"],
    permission: "assets:write",
    params: uuidParam,
    body: siteInput.partial(),
    responses: { 200: { description: "Updated", schema: siteSchema }, 404: { description: "Not found" } },
    async handler(ctx, { params, body }) {
      const actor = { principal: principal(ctx), ip: ctx.state.ip };
      return { body: await updateSite(ctx.state.services.db(), actor, params.id, body) };
    },
  },
  DELETE: {
    summary: "Delete a site without assets",
    tags: ["assets"],
    permission: "assets:write",
    params: uuidParam,
    responses: { 204: { description: "Deleted" }, 409: { description: "Has assets" } },
    async handler(ctx, { params }) {
      await deleteSite(ctx.state.services.db(), { principal: principal(ctx), ip: ctx.state.ip }, params.id);
      return { status: 204, body: null };
    },
  },
});
