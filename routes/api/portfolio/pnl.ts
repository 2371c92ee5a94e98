import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import type { Database } from "../../../db/database.ts";
import { pnl } from "../../../services/bids/pnl.ts";
import { rangeCheck, rangeFields, type RangeRule, resolveRange } from "../../../services/http/range.ts";
import { define } from "../../../utils.ts";

/** Without `from` and `to`: the last 30 days of deliveries, a month's P&L. */
const RANGE: RangeRule = { defaultDays: 30 };

const row = z.object({
  key: z.string(),
  label: z.string(),
  bids: z.number().int(),
  awarded_mwh: z.number(),
  da_revenue: z.number(),
  rt_revenue: z.number(),
  fees: z.number(),
  revenue: z.number(),
});

export const handler = define.api({
  GET: {
    summary: "Profit and loss of settled bids",
    description: "Revenue of settled bids with delivery in [from, to): day-ahead, real-time and total, in $, " +
      "grouped (`group_by`) by asset, zone, (UTC) day or kind (physical / virtual). Offers earn (+), bids pay (−). " +
      "Virtual bids' fees are in `fees` and out of `revenue`; `by_kind` gives the physical and the virtual line. " +
      `\`to\` defaults to now and \`from\` to ${RANGE.defaultDays} days before \`to\`; the answer says which ` +
      "range it covers.",
    tags: ["portfolio"],
    permission: "bids:read",
    query: z.object({
      ...rangeFields(RANGE),
      group_by: z.enum(["asset", "zone", "day", "kind"]).default("day"),
      asset_id: z.uuid().optional(),
    }).superRefine(rangeCheck(RANGE)),
    responses: {
      200: {
        description: "P&L",
        schema: z.object({
          from: z.string(),
          to: z.string(),
          group_by: z.string(),
          items: z.array(row),
          total: row.omit({ key: true, label: true }),
          by_kind: z.object({
            physical: row.omit({ key: true, label: true }),
            virtual: row.omit({ key: true, label: true }),
          }),
        }),
      },
    },
    async handler(ctx, { query }) {
      const db: Database = ctx.state.services.db();
      const { from, to } = resolveRange(query, RANGE);
      const r = await pnl(db, principal(ctx).orgId, { from, to, groupBy: query.group_by, asset_id: query.asset_id });
      return { body: { from: from.toISOString(), to: to.toISOString(), group_by: query.group_by, ...r } };
    },
  },
});
