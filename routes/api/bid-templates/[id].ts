import { principal } from "../../../server/auth_http.ts";
import { uuidParam } from "../../../services/auth/schemas.ts";
import { templateSchema } from "../../../services/bids/template_schema.ts";
import { deleteTemplate, getTemplate } from "../../../services/bids/templates.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "A day template",
    tags: ["bids"],
    permission: "bids:read",
    params: uuidParam,
    responses: { 200: { description: "The template", schema: templateSchema }, 404: { description: "Not found" } },
    async handler(ctx, { params }) {
      return { body: await getTemplate(ctx.state.services.db(), principal(ctx).orgId, params.id) };
    },
  },
  DELETE: {
    summary: "Delete a day template",
    tags: ["bids"],
    permission: "bids:write",
    params: uuidParam,
    responses: { 204: { description: "Deleted" }, 404: { description: "Not found" } },
    async handler(ctx, { params }) {
      await deleteTemplate(ctx.state.services.db(), { principal: principal(ctx), ip: ctx.state.ip }, params.id);
      return { status: 204, body: null };
    },
  },
});
