import { z } from "zod";
import { principal } from "../../../../server/auth_http.ts";
import { uuidParam } from "../../../../services/auth/schemas.ts";
import { redeliver } from "../../../../services/notifications/webhooks.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Send a message to a webhook endpoint again",
    description: "Queues the logged message `message_id` (same webhook-id, freshly signed) for delivery now.",
    tags: ["webhooks"],
    permission: "webhooks:manage",
    params: uuidParam,
    body: z.strictObject({ message_id: z.string().regex(/^msg_[0-9a-f-]{36}$/) }).meta({ id: "WebhookRedeliver" }),
    responses: {
      202: { description: "Queued", schema: z.object({ queued: z.literal(true) }) },
      404: { description: "No such endpoint or message" },
    },
    async handler(ctx, { params, body }) {
      const s = ctx.state.services;
      const out = await redeliver(s.db(), { principal: principal(ctx), ip: ctx.state.ip }, params.id, body.message_id);
      s.notifications.kick();
      return { status: 202, body: out };
    },
  },
});
