import { principal } from "../../../server/auth_http.ts";
import { preferencesInput, preferencesSchema } from "../../../services/notifications/schemas.ts";
import { preferencesOf, savePreferences } from "../../../services/notifications/store.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Your notification channels per event type",
    description: "Channels: `in_app` (the bell), `email` (when the server has SMTP_URL), `toast`. " +
      "Webhooks are per organization (/api/webhooks).",
    tags: ["notifications"],
    permission: "self",
    responses: { 200: { description: "Channels by event type", schema: preferencesSchema } },
    async handler(ctx) {
      const p = principal(ctx);
      return { body: await preferencesOf(ctx.state.services.db(), { orgId: p.orgId, userId: p.userId }) };
    },
  },
  PUT: {
    summary: "Choose your notification channels",
    description: "The event types given get exactly the channels listed (an empty list: none); others keep theirs.",
    tags: ["notifications"],
    permission: "self",
    body: preferencesInput,
    responses: { 200: { description: "Channels by event type, as saved", schema: preferencesSchema } },
    async handler(ctx, { body }) {
      const p = principal(ctx);
      return { body: await savePreferences(ctx.state.services.db(), { orgId: p.orgId, userId: p.userId }, body) };
    },
  },
});
