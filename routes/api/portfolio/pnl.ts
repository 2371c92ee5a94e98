import { z } from "zod";
import { principal } from "../../../services/auth/http.ts";
import type { Database } from "../../../db/database.ts";
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

const GROUPS = {
  asset: { key: "b.asset_id::text", label: "a.name" },
  zone: { key: "b.zone", label: "b.zone" },
  day: {
    key: "to_char(b.interval_start AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    label: "to_char(b.interval_start AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
  },
} as const;

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
      const g = GROUPS[query.groupBy as keyof typeof GROUPS];
      const db: Database = ctx.state.services.db();
      const items = await db.query<z.infer<typeof row>>(
        `SELECT ${g.key} AS key, min(${g.label}) AS label, count(*)::int AS bids,
                round(sum(b.awarded_mw * extract(epoch FROM b.interval_end - b.interval_start) / 3600), 4)::float8
                  AS awarded_mwh,
                round(sum(b.da_revenue), 2)::float8 AS da_revenue, round(sum(b.rt_revenue), 2)::float8 AS rt_revenue,
                round(sum(b.revenue), 2)::float8 AS revenue
           FROM bids b JOIN assets a ON a.id = b.asset_id
          WHERE b.org_id = $1 AND b.status = 'settled' AND b.interval_start >= $2 AND b.interval_start < $3
            AND ($4::uuid IS NULL OR b.asset_id = $4::uuid)
          GROUP BY 1 ORDER BY 1`,
        [principal(ctx).orgId, query.from, query.to, query.asset_id ?? null],
      );
      // Money to the cent, energy to the kWh-fraction the rows carry.
      const sum = (k: "bids" | "awarded_mwh" | "da_revenue" | "rt_revenue" | "revenue", scale = 100) =>
        Math.round(items.reduce((s, r) => s + r[k], 0) * scale) / scale;
      return {
        body: {
          group_by: query.groupBy,
          items,
          total: {
            bids: sum("bids"),
            awarded_mwh: sum("awarded_mwh", 10_000),
            da_revenue: sum("da_revenue"),
            rt_revenue: sum("rt_revenue"),
            revenue: sum("revenue"),
          },
        },
      };
    },
  },
});
