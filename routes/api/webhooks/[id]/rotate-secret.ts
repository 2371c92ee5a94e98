import { principal } from "../../../../server/auth_http.ts";
import { uuidParam } from "../../../../services/auth/schemas.ts";
import { webhookWithSecret } from "../../../../services/notifications/schemas.ts";
import { rotateSecret } from "../../../../services/notifications/webhooks.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Rotate a webhook endpoint's secret",
    description: "Returns the new secret once. For 24 hours deliveries carry two signatures (new and old), " +
      "so the receiver can switch over without losing a message.",
    tags: ["webhooks"],
    permission: "webhooks:manage",
    params: uuidParam,
    responses: { 200: { description: "The new secret", schema: webhookWithSecret }, 404: { description: "Not found" } },
    async handler(ctx, { params }) {
      const c = { principal: principal(ctx), ip: ctx.state.ip };
      return { body: await rotateSecret(ctx.state.services.db(), c, params.id) };
    },
  },
});
