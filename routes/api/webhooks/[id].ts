import { principal } from "../../../server/auth_http.ts";
import { uuidParam } from "../../../services/auth/schemas.ts";
import { webhookPatch, webhookSchema } from "../../../services/notifications/schemas.ts";
import { deleteWebhook, getWebhook, updateWebhook } from "../../../services/notifications/webhooks.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "A webhook endpoint",
    tags: ["webhooks"],
    permission: "webhooks:manage",
    params: uuidParam,
    responses: { 200: { description: "The endpoint", schema: webhookSchema }, 404: { description: "Not found" } },
    async handler(ctx, { params }) {
      return { body: await getWebhook(ctx.state.services.db(), principal(ctx).orgId, params.id) };
    },
  },
  PATCH: {
    summary: "Change a webhook endpoint",
    description: "`enabled: true` re-enables an endpoint the system disabled and starts its failure count over.",
    tags: ["webhooks"],
    permission: "webhooks:manage",
    params: uuidParam,
    body: webhookPatch,
    responses: { 200: { description: "The endpoint now", schema: webhookSchema }, 404: { description: "Not found" } },
    async handler(ctx, { params, body }) {
      const s = ctx.state.services;
      const c = { principal: principal(ctx), ip: ctx.state.ip };
      return { body: await updateWebhook(s.db(), c, params.id, body, s.config.webhooks.allowPrivate) };
    },
  },
  DELETE: {
    summary: "Remove a webhook endpoint",
    tags: ["webhooks"],
    permission: "webhooks:manage",
    params: uuidParam,
    responses: { 204: { description: "Removed" }, 404: { description: "Not found" } },
    async handler(ctx, { params }) {
      await deleteWebhook(ctx.state.services.db(), { principal: principal(ctx), ip: ctx.state.ip }, params.id);
      return { status: 204, body: null };
    },
  },
});
