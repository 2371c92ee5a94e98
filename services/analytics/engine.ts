/**
 * One interface, two engines: every market panel is one query written once for Postgres (PGlite too) and
 * once for ClickHouse, answering the same rows (tests/integration/analytics_parity_test.ts holds them to it).
 * Each query aggregates in the database and returns at most a few thousand rows, whatever the range.
 */
import type { Iso } from "../market/zones.ts";
import type { DailyReturns } from "./stats.ts";

export type EngineName = "postgres" | "clickhouse";
/** `SPREAD`: per hour, the DA price minus the mean RT price of that hour (hours with both). */
export type AnalyticsMarket = "DA" | "RT" | "SPREAD";

export interface PanelQuery {
  zone: Iso;
  market: AnalyticsMarket;
  from: Date;
  to: Date;
}

export interface StatsRow {
  count: number;
  mean: number | null;
  stddev: number | null;
  negative: number;
  min: number | null;
  min_at: string | null;
  max: number | null;
  max_at: string | null;
  /** 101 nearest-rank percentiles, 0 … 100 (services/analytics/stats.ts); empty without values. */
  pct: number[];
}

export interface HeatCell {
  /** ISO weekday on the zone's market clock: 1 = Monday … 7 = Sunday. */
  dow: number;
  hour: number;
  mean: number;
  count: number;
}

export interface SeriesPoint {
  t: string;
  mean: number;
  min: number;
  max: number;
}

export interface SpreadHour {
  hour: number;
  mean: number;
  count: number;
}

export interface SpreadDay {
  date: string;
  hours: number;
  spread: number;
}

export interface Spike {
  t: string;
  price: number;
  baseline: number;
  score: number;
}

export interface CorrPair {
  a: string;
  b: string;
  corr: number | null;
  n: number;
}

/** Every single-zone panel of a request (all but the correlation matrix). */
export interface ZonePanels {
  stats: StatsRow;
  heatmap: HeatCell[];
  series: SeriesPoint[];
  spreadStats: StatsRow;
  byHour: SpreadHour[];
  byDay: SpreadDay[];
  returns: DailyReturns[];
  spikes: { count: number; items: Spike[] };
}

export interface MarketEngine {
  readonly name: EngineName;
  /**
   * The single-zone panels together, each answering as its own method would: an engine reads what they
   * share (the hourly rollup, the spread series, the raw intervals) once, in as few round trips as it can.
   */
  panels(q: PanelQuery, bucketS: number, threshold: number): Promise<ZonePanels>;
  stats(q: PanelQuery): Promise<StatsRow>;
  heatmap(q: PanelQuery): Promise<HeatCell[]>;
  series(q: PanelQuery, bucketS: number): Promise<SeriesPoint[]>;
  /** Per operating day: count, sum and sum of squares of the changes of the hourly mean RT price. */
  returnsByDay(q: Omit<PanelQuery, "market">): Promise<DailyReturns[]>;
  spikes(q: Omit<PanelQuery, "market">, threshold: number): Promise<{ count: number; items: Spike[] }>;
  correlation(
    q: { zones: readonly Iso[]; market: AnalyticsMarket; from: Date; to: Date },
  ): Promise<CorrPair[]>;
}
