import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { unreadCount } from "../../../services/notifications/store.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "How many of your notifications are unread",
    description: "What the bell shows; it is read again whenever the notification stream says something changed.",
    tags: ["notifications"],
    permission: "self",
    responses: { 200: { description: "The count", schema: z.object({ unread: z.number().int() }) } },
    async handler(ctx) {
      const p = principal(ctx);
      return { body: { unread: await unreadCount(ctx.state.services.db(), { orgId: p.orgId, userId: p.userId }) } };
    },
  },
});
