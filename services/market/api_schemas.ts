/** Shapes of the market-data API. */
import { z } from "zod";
import { instant } from "../schemas/instant.ts";
import { MARKETS, priceTickSchema } from "./types.ts";
import { type Iso, ISOS } from "./zones.ts";

export const zoneListQuery = z.string().max(200).optional().transform((v, ctx) => {
  if (!v) return [...ISOS] as Iso[];
  const zones = [...new Set(v.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean))];
  if (!zones.length) {
    ctx.addIssue({ code: "custom", message: `name at least one zone; known: ${ISOS.join(", ")}` });
    return z.NEVER;
  }
  const unknown = zones.filter((z) => !(ISOS as readonly string[]).includes(z));
  if (unknown.length) {
    ctx.addIssue({ code: "custom", message: `unknown zone(s) ${unknown.join(", ")}; known: ${ISOS.join(", ")}` });
    return z.NEVER;
  }
  return zones as Iso[];
});

export const latestResponse = z.object({
  items: z.array(z.object({ zone: z.enum(ISOS), rt: priceTickSchema.nullable(), da: priceTickSchema.nullable() })),
  next_cursor: z.null().describe("Always null: every zone asked for is on the one page"),
}).meta({ id: "LatestPrices" });

export const MAX_HISTORY_LIMIT = 10_000;
/** The longest range one history request may ask for: a year of 5-minute prices is ~105k rows, paged. */
export const MAX_RANGE_DAYS = 366;

export const historyQuery = z.object({
  zone: z.enum(ISOS),
  market: z.enum(MARKETS).default("RT"),
  from: instant(),
  to: instant(),
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY_LIMIT).default(1000),
  cursor: instant().optional(),
}).refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: "from must be before to", path: ["from"] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= MAX_RANGE_DAYS * 86_400_000, {
    message: `the range may span at most ${MAX_RANGE_DAYS} days`,
    path: ["to"],
  });

export const historyResponse = z.object({
  items: z.array(priceTickSchema),
  next_cursor: z.string().nullable(),
}).meta({ id: "PriceHistory" });

/** The longest range one load request may ask for: hourly rows, so 31 days is ≤ 745 rows, one page. */
export const MAX_LOAD_RANGE_DAYS = 31;

export const loadResponse = z.object({
  zone: z.enum(ISOS),
  items: z.array(
    z.object({
      interval_start: z.string(),
      interval_end: z.string(),
      actual_mw: z.number().nullable().describe("Metered system load, once the hour is over"),
      forecast_mw: z.number().nullable().describe("Day-ahead load forecast, known before the DA gate of its day"),
    }).strict(),
  ),
  next_cursor: z.null().describe(`Always null: a range of at most ${MAX_LOAD_RANGE_DAYS} days is one page`),
}).meta({ id: "SystemLoad" });
