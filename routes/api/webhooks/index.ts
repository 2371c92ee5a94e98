import { principal } from "../../../server/auth_http.ts";
import { webhookInput, webhookSchema, webhookWithSecret } from "../../../services/notifications/schemas.ts";
import { createWebhook, webhooksPage } from "../../../services/notifications/webhooks.ts";
import { pageQuery, pageSchema } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Your organization's webhook endpoints",
    tags: ["webhooks"],
    permission: "webhooks:manage",
    query: pageQuery({ defaultLimit: 50, maxLimit: 200 }),
    responses: { 200: { description: "A page of endpoints", schema: pageSchema(webhookSchema) } },
    async handler(ctx, { query }) {
      return { body: await webhooksPage(ctx.state.services.db(), principal(ctx).orgId, query) };
    },
  },
  POST: {
    summary: "Add a webhook endpoint",
    description: "Deliveries follow Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature), at least " +
      "once, retried at about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h; an endpoint failing for 5 days is " +
      "disabled. The secret (`whsec_…`) is shown only here and on rotation. URLs on private, loopback, " +
      "link-local and other non-public addresses are refused (400 `webhook_url_refused`).",
    tags: ["webhooks"],
    permission: "webhooks:manage",
    body: webhookInput,
    responses: { 201: { description: "Made, with its secret", schema: webhookWithSecret } },
    async handler(ctx, { body }) {
      const s = ctx.state.services;
      const c = { principal: principal(ctx), ip: ctx.state.ip };
      return { status: 201, body: await createWebhook(s.db(), c, body, s.config.webhooks.allowPrivate) };
    },
  },
});
