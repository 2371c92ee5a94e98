import { z } from "zod";
import { rangeCheck, rangeFields, type RangeRule, resolveRange } from "../../../services/http/range.ts";
import {
  historyQuery,
  historyResponse,
  MAX_HISTORY_LIMIT,
  MAX_RANGE_DAYS,
} from "../../../services/market/api_schemas.ts";
import { history } from "../../../services/market/store.ts";
import { MARKETS } from "../../../services/market/types.ts";
import { ISOS } from "../../../services/market/zones.ts";
import { define } from "../../../utils.ts";

/** Without `from` and `to`: the last 7 days, enough for a week's chart in one or a few pages. */
const RANGE: RangeRule = { defaultDays: 7, maxDays: MAX_RANGE_DAYS };

const query = z.object({
  zone: z.enum(ISOS),
  market: z.enum(MARKETS).default("RT"),
  ...rangeFields(RANGE),
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY_LIMIT).default(1000),
  cursor: historyQuery.shape.cursor,
}).superRefine(rangeCheck(RANGE));

export const handler = define.api({
  GET: {
    summary: "Price history of a zone",
    description: "Oldest first, `limit` ≤ 10,000 a page; pass `cursor` = the previous page's `next_cursor`. " +
      `\`to\` defaults to now and \`from\` to ${RANGE.defaultDays} days before \`to\`; \`from\` must be before ` +
      `\`to\`, and the range at most ${MAX_RANGE_DAYS} days.`,
    tags: ["market-data"],
    permission: "market:read",
    query,
    responses: { 200: { description: "A page of prices", schema: historyResponse } },
    async handler(ctx, { query }) {
      const { from, to } = resolveRange(query, RANGE);
      const page = await history(ctx.state.services.db(), {
        zone: query.zone,
        market: query.market,
        from,
        to,
        limit: query.limit,
        after: query.cursor,
      });
      return { body: { items: page.items, next_cursor: page.next } };
    },
  },
});
