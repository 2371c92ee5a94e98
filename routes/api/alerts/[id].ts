import { principal } from "../../../server/auth_http.ts";
import { uuidParam } from "../../../services/auth/schemas.ts";
import { alertPatch, alertSchema } from "../../../services/alerts/schema.ts";
import { deleteAlert, getAlert, updateAlert } from "../../../services/alerts/store.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "A price alert",
    tags: ["alerts"],
    permission: "market:read",
    params: uuidParam,
    responses: { 200: { description: "The alert", schema: alertSchema }, 404: { description: "Not found" } },
    async handler(ctx, { params }) {
      return { body: await getAlert(ctx.state.services.db(), principal(ctx).orgId, params.id) };
    },
  },
  PATCH: {
    summary: "Change a price alert",
    tags: ["alerts"],
    permission: "alerts:write",
    params: uuidParam,
    body: alertPatch,
    responses: { 200: { description: "The alert now", schema: alertSchema }, 404: { description: "Not found" } },
    async handler(ctx, { params, body }) {
      const s = ctx.state.services;
      const out = await updateAlert(s.db(), { principal: principal(ctx), ip: ctx.state.ip }, params.id, body);
      await s.alerts.changed();
      return { body: out };
    },
  },
  DELETE: {
    summary: "Remove a price alert",
    tags: ["alerts"],
    permission: "alerts:write",
    params: uuidParam,
    responses: { 204: { description: "Removed" }, 404: { description: "Not found" } },
    async handler(ctx, { params }) {
      const s = ctx.state.services;
      await deleteAlert(s.db(), { principal: principal(ctx), ip: ctx.state.ip }, params.id);
      await s.alerts.changed();
      return { status: 204, body: null };
    },
  },
});
