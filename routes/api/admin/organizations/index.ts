import { z } from "zod";
import { OPERATOR_PERMISSION } from "../../../../services/auth/operator.ts";
import { listOrganizations } from "../../../../services/admin/store.ts";
import { orgSummarySchema } from "../../../../services/admin/schemas.ts";
import { orgOut } from "../../../../server/admin_http.ts";
import { text } from "../../../../services/schemas/text.ts";
import { decodeCursor, pageOf, pageQuery, pageSchema } from "../../../../services/pagination.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Every organization (platform admins)",
    description: "Newest first, with members, status and today's usage; `q` filters by name. Only a platform " +
      "admin (`PLATFORM_ADMINS`) may call it: it spans every tenant.",
    tags: ["admin"],
    permission: OPERATOR_PERMISSION,
    query: pageQuery({ defaultLimit: 50, maxLimit: 200 }).extend({ q: text({ max: 120 }).optional() }),
    responses: { 200: { description: "A page of organizations", schema: pageSchema(orgSummarySchema) } },
    async handler(ctx, { query }) {
      const key = decodeCursor(query.cursor, [z.iso.datetime(), z.uuid()]);
      const rows = await listOrganizations(ctx.state.services.db(), {
        limit: query.limit + 1,
        cursor: key ? { created_at: key[0], id: key[1] } : undefined,
        search: query.q || undefined,
      });
      const page = pageOf(rows, query.limit, (o) => [new Date(o.created_at).toISOString(), o.id]);
      return { body: { items: page.items.map(orgOut), next_cursor: page.next_cursor } };
    },
  },
});
