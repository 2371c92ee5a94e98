import { z } from "zod";
import { usageDaySchema } from "../../../../services/admin/schemas.ts";
import { usageDays, usageQuery, usageRange } from "../../../../services/admin/usage.ts";
import { scopedOrg } from "../../../../server/admin_http.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Your organization's usage per day",
    description: "API requests, bids created, WebSocket connections opened and requests refused for a quota, " +
      "per UTC day in [`from`, `to`] (both included; default the last 30 days, at most 400). A platform admin " +
      "may name another organization (`org_id`); anyone else gets 404 for one not theirs.",
    tags: ["admin"],
    permission: "usage:read",
    query: usageQuery,
    responses: {
      200: {
        description: "One row per day, oldest first",
        schema: z.object({
          organization_id: z.uuid(),
          from: z.string(),
          to: z.string(),
          days: z.array(usageDaySchema),
        }),
      },
    },
    async handler(ctx, { query }) {
      const orgId = scopedOrg(ctx, query.org_id);
      const range = usageRange(query);
      await ctx.state.services.admin.meter.flushUsage();
      const days = await usageDays(ctx.state.services.db(), orgId, range);
      return { body: { organization_id: orgId, ...range, days } };
    },
  },
});
