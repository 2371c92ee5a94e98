import { z } from "zod";
import { principal } from "../../../../server/auth_http.ts";
import { alertInputSchema } from "../../../../services/realtime/protocol.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Show an alert to your organization",
    description: "Every WebSocket client of your organization, on every instance, gets an `alert` frame " +
      '(shown as a toast), marked `source: "admin"`.',
    tags: ["realtime"],
    permission: "admin:flags",
    body: alertInputSchema,
    responses: {
      202: { description: "Sent", schema: z.object({ id: z.string(), at: z.string() }) },
    },
    handler(ctx, { body }) {
      const alert = ctx.state.services.realtime.publishAlert(body, { orgId: principal(ctx).orgId, source: "admin" });
      return { status: 202, body: { id: alert.id, at: alert.at } };
    },
  },
});
