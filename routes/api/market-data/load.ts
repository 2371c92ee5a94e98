import { z } from "zod";
import { rangeCheck, rangeFields, type RangeRule, resolveRange } from "../../../services/http/range.ts";
import { loadResponse, MAX_LOAD_RANGE_DAYS } from "../../../services/market/api_schemas.ts";
import { loadRange } from "../../../services/market/load_store.ts";
import { ISOS } from "../../../services/market/zones.ts";
import { define } from "../../../utils.ts";

const RANGE: RangeRule = { defaultDays: 7, maxDays: MAX_LOAD_RANGE_DAYS };

const query = z.object({ zone: z.enum(ISOS), ...rangeFields(RANGE) }).superRefine(rangeCheck(RANGE));

export const handler = define.api({
  GET: {
    summary: "Hourly system load of a zone",
    description: "Actual and day-ahead forecast load (MW), oldest first. `to` defaults to now and `from` to " +
      `${RANGE.defaultDays} days before it; at most ${MAX_LOAD_RANGE_DAYS} days. Zones without a load series answer ` +
      "an empty list.",
    tags: ["market-data"],
    permission: "market:read",
    query,
    responses: { 200: { description: "Load", schema: loadResponse } },
    async handler(ctx, { query }) {
      const { from, to } = resolveRange(query, RANGE);
      const items = await loadRange(ctx.state.services.db(), query.zone, from, to);
      return { body: { zone: query.zone, items, next_cursor: null } };
    },
  },
});
