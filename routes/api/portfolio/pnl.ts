import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import type { Database } from "../../../db/database.ts";
import { pnl } from "../../../services/bids/pnl.ts";
import { define } from "../../../utils.ts";

const row = z.object({
  key: z.string(),
  label: z.string(),
  bids: z.number().int(),
  awarded_mwh: z.number(),
  da_revenue: z.number(),
  rt_revenue: z.number(),
  revenue: z.number(),
});

export const handler = define.api({
  GET: {
    summary: "Profit and loss of settled bids",
    description: "Revenue of settled bids with delivery in [from, to): day-ahead, real-time and total, in $, " +
      "grouped by asset, zone or (UTC) day. Offers earn (+), bids pay (−).",
    tags: ["portfolio"],
    permission: "bids:read",
    query: z.object({
      from: z.iso.datetime({ offset: true }),
      to: z.iso.datetime({ offset: true }),
      groupBy: z.enum(["asset", "zone", "day"]).default("day"),
      asset_id: z.uuid().optional(),
    }).refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: "from must be before to", path: ["from"] }),
    responses: {
      200: {
        description: "P&L",
        schema: z.object({ group_by: z.string(), items: z.array(row), total: row.omit({ key: true, label: true }) }),
      },
    },
    async handler(ctx, { query }) {
      const db: Database = ctx.state.services.db();
      const r = await pnl(db, principal(ctx).orgId, query);
      return { body: { group_by: query.groupBy, ...r } };
    },
  },
});
