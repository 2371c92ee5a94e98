/**
 * The /analytics page's URL state (tab, zone, compared zones, market, dates, spike threshold) and what each
 * panel shows as CSV rows: the same rows feed the table or chart and its export.
 */
import { z } from "zod";
import { addDays, localDate, localDayBounds } from "../services/market/clock.ts";
import { type Iso, ISOS, ZONES } from "../services/market/zones.ts";
import { ANALYTICS_MARKETS, MARKET_RANGE } from "../services/analytics/schema.ts";

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date YYYY-MM-DD").refine(
  (d) => Number.isFinite(Date.parse(`${d}T00:00:00Z`)) && d >= "1900-01-01" && d <= "9999-01-01",
  "not a date",
);

export const viewSchema = z.object({
  tab: z.enum(["market", "portfolio"]).default("market"),
  zone: z.enum(ISOS).optional(),
  compare: z.array(z.enum(ISOS)).max(ISOS.length).default([]),
  market: z.enum(ANALYTICS_MARKETS).default("RT"),
  from: date.optional(),
  to: date.optional(),
  z: z.coerce.number().min(2).max(50).default(6),
});

export interface AnalyticsView {
  tab: "market" | "portfolio";
  zone: Iso;
  compare: Iso[];
  market: typeof ANALYTICS_MARKETS[number];
  from: string;
  to: string;
  z: number;
}

/** The view a URL asks for, defaults filled in (the last 30 days to today on the zone's clock). */
export function parseView(
  params: URLSearchParams,
  defaultZone: Iso,
  now = Date.now(),
): { view: AnalyticsView; error: string | null } {
  const raw = {
    ...Object.fromEntries([...params].filter(([k]) => k !== "compare" && params.get(k) !== "")),
    compare: params.getAll("compare").flatMap((c) => c.split(",")).filter(Boolean),
  };
  const parsed = viewSchema.safeParse(raw);
  const v = parsed.success ? parsed.data : viewSchema.parse({});
  const zone = v.zone ?? defaultZone;
  const today = localDate(ZONES[zone].timeZone, now);
  const to = v.to ?? today;
  let from = v.from ?? addDays(to, -29);
  let error = parsed.success ? null : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  if (from > to) [from, error] = [addDays(to, -29), "from must not be after to"];
  if (Date.parse(to) - Date.parse(from) >= MARKET_RANGE.maxDays! * 86_400_000) {
    [from, error] = [addDays(to, -(MARKET_RANGE.maxDays! - 1)), `at most ${MARKET_RANGE.maxDays} days`];
  }
  return {
    view: { tab: v.tab, zone, compare: v.compare.filter((c) => c !== zone), market: v.market, from, to, z: v.z },
    error,
  };
}

/** [from, to) of the view: from the start of `from` to the end of `to` on the zone's market clock. */
export function viewRange(v: AnalyticsView): { from: Date; to: Date } {
  const tz = ZONES[v.zone].timeZone;
  return { from: new Date(localDayBounds(tz, v.from)[0]), to: new Date(localDayBounds(tz, v.to)[1]) };
}

export function viewHref(v: AnalyticsView, change: Partial<AnalyticsView> = {}): string {
  const n = { ...v, ...change };
  const q = new URLSearchParams({ tab: n.tab, zone: n.zone, market: n.market, from: n.from, to: n.to, z: String(n.z) });
  for (const c of n.compare) q.append("compare", c);
  return `/analytics?${q}`;
}

/** A number as the page and its CSVs show it. */
export function fixed(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "" : v.toFixed(digits);
}
