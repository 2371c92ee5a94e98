import { z } from "zod";
import { latestResponse, zoneListQuery } from "../../../services/market/api_schemas.ts";
import { latestFromCache } from "../../../services/market/ingest.ts";
import { latestTicks } from "../../../services/market/store.ts";
import type { Iso } from "../../../services/market/zones.ts";
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
      const { cache, db } = ctx.state.services;
      let ticks = await latestFromCache(cache, query.zones);
      if (ticks.length < query.zones.length * 2) {
        const have = new Set(ticks.map((t) => `${t.zone}${t.market}`));
        ticks = [...ticks, ...(await latestTicks(db(), query.zones)).filter((t) => !have.has(`${t.zone}${t.market}`))];
      }
      const zones: Iso[] = query.zones;
      const items = zones.map((zone) => ({
        zone,
        rt: ticks.find((t) => t.zone === zone && t.market === "RT") ?? null,
        da: ticks.find((t) => t.zone === zone && t.market === "DA") ?? null,
      }));
      return { body: { items } };
    },
  },
});
