import { z } from "zod";
import { billingSchema } from "../../../services/admin/schemas.ts";
import { billingOverview, monthSchema } from "../../../services/admin/usage.ts";
import { utcDay } from "../../../services/admin/quotas.ts";
import { scopedOrg } from "../../../server/admin_http.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Monthly usage summary (billing overview)",
    description: "What the organization used in a UTC month (default the current one): API requests, bids, " +
      "WebSocket connections, refusals, the busiest day, and what it holds now against its quotas. No " +
      "prices: this is what was used, not an invoice. A platform admin may name another organization.",
    tags: ["admin"],
    permission: "usage:read",
    query: z.object({ month: monthSchema.optional(), org_id: z.uuid().optional() }),
    responses: { 200: { description: "The month", schema: billingSchema } },
    async handler(ctx, { query }) {
      const orgId = scopedOrg(ctx, query.org_id);
      const { admin } = ctx.state.services;
      await admin.meter.flushUsage();
      const month = query.month ?? utcDay(Date.now()).slice(0, 7);
      return { body: await billingOverview(ctx.state.services.db(), orgId, month, admin.quotasOf(orgId)) };
    },
  },
});
