import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { markReadInput } from "../../../services/notifications/schemas.ts";
import { markRead } from "../../../services/notifications/store.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Mark notifications read",
    description: "The ones in `ids` (yours; others are ignored), or all of them when `ids` is omitted.",
    tags: ["notifications"],
    permission: "self",
    body: markReadInput,
    responses: {
      200: {
        description: "Marked; the unread count after",
        schema: z.object({ marked: z.number().int(), unread: z.number().int() }),
      },
    },
    async handler(ctx, { body }) {
      const p = principal(ctx);
      return { body: await markRead(ctx.state.services.db(), { orgId: p.orgId, userId: p.userId }, body.ids) };
    },
  },
});
