import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { notificationSchema } from "../../../services/notifications/schemas.ts";
import { notificationsPage } from "../../../services/notifications/store.ts";
import { pageQuery, pageSchema } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Your notifications",
    description: "Newest first; `unread=true` keeps the unread ones. Page with `cursor`.",
    tags: ["notifications"],
    permission: "self",
    query: pageQuery({ defaultLimit: 50, maxLimit: 200 }).extend({ unread: z.enum(["true", "false"]).optional() }),
    responses: { 200: { description: "A page of notifications", schema: pageSchema(notificationSchema) } },
    async handler(ctx, { query }) {
      const p = principal(ctx);
      const { unread, ...page } = query;
      return {
        body: await notificationsPage(ctx.state.services.db(), { orgId: p.orgId, userId: p.userId }, {
          ...page,
          unread: unread === "true",
        }),
      };
    },
  },
});
