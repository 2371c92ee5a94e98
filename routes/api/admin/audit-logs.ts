import { z } from "zod";
import { auditActionFilter, listAudit } from "../../../services/auth/audit.ts";
import { principal } from "../../../server/auth_http.ts";
import { auditEntrySchema, plain } from "../../../services/auth/schemas.ts";
import { define } from "../../../utils.ts";
import { instant } from "../../../services/schemas/instant.ts";

export const handler = define.api({
  GET: {
    summary: "Audit log of your organization",
    description: "Newest first. Filter by actor (user id), action (exact, or a family like `auth.*`) and time " +
      "range; page with `cursor` = the previous page's `next_cursor`. A live feed passes `after` = the newest " +
      "id it has, and gets only the entries since.",
    tags: ["admin"],
    permission: "audit:read",
    query: z.object({
      actor: z.uuid().optional(),
      action: auditActionFilter.optional(),
      from: instant().optional(),
      to: instant().optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().regex(/^\d{1,18}$/, "must be a cursor from a previous page").optional(),
      after: z.string().regex(/^\d{1,18}$/, "must be the id of an entry").optional(),
    }),
    responses: {
      200: {
        description: "A page of entries",
        schema: z.object({ items: z.array(auditEntrySchema), next_cursor: z.string().nullable() }),
      },
    },
    async handler(ctx, { query }) {
      const page = await listAudit(ctx.state.services.db(), {
        orgId: principal(ctx).orgId,
        actor: query.actor,
        action: query.action,
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
        limit: query.limit,
        cursor: query.cursor,
        after: query.after,
      });
      return { body: { items: plain(page.items), next_cursor: page.nextCursor } };
    },
  },
});
