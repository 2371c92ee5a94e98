/**
 * The market analytics of a request: every panel from one engine — ClickHouse when it is configured and
 * answering, else Postgres — and, when ClickHouse fails mid-request, the whole panel again on Postgres, so
 * one answer never mixes engines. The response names the engine.
 */
import type { Queryable } from "../../db/database.ts";
import { log } from "../log/logger.ts";
import { accuracy } from "../forecast_live/reads.ts";
import type { Iso } from "../market/zones.ts";
import type { MarketEngine, PanelQuery, StatsRow } from "./engine.ts";
import type { MarketAnalytics } from "./schema.ts";
import {
  bucketSeconds,
  correlationMatrix,
  cumulativeSpread,
  PERCENTILES,
  rollingVolatility,
  VOLATILITY_WINDOW_DAYS,
} from "./stats.ts";

const HOUR = 3_600_000;
export const PERCENTILE_DEFINITION = "nearest rank: the value at rank ceil(p·n/100) of the sorted values " +
  "(Postgres percentile_disc); the median is the 50th percentile";
const ACCURACY_DAYS = 30;

export interface MarketRequest {
  zones: Iso[];
  market: PanelQuery["market"];
  from: Date;
  to: Date;
  threshold: number;
}

/** Whole hours: an hour is in the range or not, so hourly means agree with the hourly rollup's. */
export function hourAligned(from: Date, to: Date): { from: Date; to: Date } {
  return {
    from: new Date(Math.floor(from.getTime() / HOUR) * HOUR),
    to: new Date(Math.ceil(to.getTime() / HOUR) * HOUR),
  };
}

export function statsView(s: StatsRow) {
  const pct = (p: number) => (s.pct.length ? s.pct[p] : null);
  return {
    count: s.count,
    mean: s.mean,
    median: pct(50),
    stddev: s.stddev,
    percentiles: Object.fromEntries(PERCENTILES.map((p) => [`p${p}`, pct(p)])) as Record<
      `p${typeof PERCENTILES[number]}`,
      number | null
    >,
    min: s.min,
    min_at: s.min_at,
    max: s.max,
    max_at: s.max_at,
    negative_share: s.count ? s.negative / s.count : null,
  };
}

/** Every market panel on one engine. */
export async function marketPanels(
  engine: MarketEngine,
  r: MarketRequest,
): Promise<Omit<MarketAnalytics, "forecast_accuracy">> {
  const { from, to } = hourAligned(r.from, r.to);
  const zone = r.zones[0];
  const q: PanelQuery = { zone, market: r.market, from, to };
  const bucket = bucketSeconds(from.getTime(), to.getTime());
  const [{ stats, heatmap, series, spreadStats, byHour, byDay, returns, spikes }, pairs] = await Promise.all([
    engine.panels(q, bucket, r.threshold),
    r.zones.length > 1 ? engine.correlation({ zones: r.zones, market: r.market, from, to }) : Promise.resolve([]),
  ]);
  return {
    engine: engine.name,
    zone,
    zones: r.zones,
    market: r.market,
    from: from.toISOString(),
    to: to.toISOString(),
    percentile_definition: PERCENTILE_DEFINITION,
    stats: { ...statsView(stats), spikes: spikes.count },
    heatmap,
    duration: stats.pct.map((_, k) => ({ share: k / 100, price: stats.pct[100 - k] })),
    series: { bucket_seconds: bucket, items: series },
    spread: { distribution: statsView(spreadStats), by_hour: byHour, daily: cumulativeSpread(byDay) },
    volatility: { window_days: VOLATILITY_WINDOW_DAYS, items: rollingVolatility(returns) },
    spikes: { threshold: r.threshold, ...spikes },
    correlation: { zones: r.zones, ...correlationMatrix(r.zones, pairs) },
  };
}

export interface AnalyticsDeps {
  db: () => Queryable;
  postgres: MarketEngine;
  /** The ClickHouse engine while ClickHouse is configured and answering, else null. */
  clickhouse: () => MarketEngine | null;
  /** A ClickHouse read failed (answered from Postgres instead): the health registry hears of it at once. */
  clickhouseFailed?: (err: unknown) => void;
}

export async function marketAnalytics(deps: AnalyticsDeps, r: MarketRequest): Promise<MarketAnalytics> {
  const [panels, forecast_accuracy] = await Promise.all([
    panelsWithFallback(deps, r),
    Promise.all(r.zones.map(async (zone) => {
      const a = await accuracy(deps.db(), zone, ACCURACY_DAYS);
      return { zone, days: a.days, n_days: a.n_days, mae: a.mae, rmae: a.rmae };
    })),
  ]);
  return { ...panels, forecast_accuracy };
}

async function panelsWithFallback(deps: AnalyticsDeps, r: MarketRequest) {
  const ch = deps.clickhouse();
  if (ch) {
    try {
      return await marketPanels(ch, r);
    } catch (e) {
      log.warn("ClickHouse analytics failed; answering from Postgres", {
        error: e instanceof Error ? e.message : String(e),
      });
      deps.clickhouseFailed?.(e);
    }
  }
  return await marketPanels(deps.postgres, r);
}
