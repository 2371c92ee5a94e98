import { csvResponse } from "../../../../services/http/csv.ts";
import { USAGE_CSV_HEADER, usageCsvRows, usageDays, usageQuery, usageRange } from "../../../../services/admin/usage.ts";
import { scopedOrg } from "../../../../server/admin_http.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Your organization's usage per day as CSV",
    description: "The rows of GET /api/admin/usage: `day,api_requests,bids,ws_connections,rejected`.",
    tags: ["admin"],
    permission: "usage:read",
    query: usageQuery,
    responses: { 200: { description: "CSV", contentType: "text/csv" } },
    async handler(ctx, { query }) {
      const orgId = scopedOrg(ctx, query.org_id);
      const range = usageRange(query);
      await ctx.state.services.admin.meter.flushUsage();
      const days = await usageDays(ctx.state.services.db(), orgId, range);
      async function* pages() {
        yield usageCsvRows(days);
      }
      return csvResponse(`usage-${range.from}-${range.to}.csv`, USAGE_CSV_HEADER, pages());
    },
  },
});
