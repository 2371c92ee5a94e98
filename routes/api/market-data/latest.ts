import { z } from "zod";
import { latestResponse, zoneListQuery } from "../../../services/market/api_schemas.ts";
import type { PriceTick } from "../../../services/market/types.ts";
import type { Iso } from "../../../services/market/zones.ts";
import { onePage } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Latest prices per zone",
    description: "The newest real-time (5-minute) and day-ahead (hourly) price of each zone, from the latest-price " +
      "cache (Redis or Deno KV), falling back to the database. `zones` is a comma-separated list; default all.",
    tags: ["market-data"],
    permission: "market:read",
    query: z.object({ zones: zoneListQuery }),
    responses: { 200: { description: "Latest prices", schema: latestResponse } },
    async handler(ctx, { query }) {
      const zones: Iso[] = query.zones;
      const ticks: PriceTick[] = await ctx.state.services.market.latest(zones);
      const items = zones.map((zone) => ({
        zone,
        rt: ticks.find((t) => t.zone === zone && t.market === "RT") ?? null,
        da: ticks.find((t) => t.zone === zone && t.market === "DA") ?? null,
      }));
      return { body: onePage(items) };
    },
  },
});
