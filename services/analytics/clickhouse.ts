/**
 * The market panels as ClickHouse SQL, over the relay's copy of market_prices (one row per interval, newest
 * version: FINAL where the tables' parts overlap in time, a plain read elsewhere — clickhouse_parts.ts), its
 * hourly rollup and its spike baselines (services/market/clickhouse_store.ts).
 *
 * Written for ClickHouse 18.16 (CI): no window functions, no server-side parameters, no WITH subqueries;
 * trailing windows are lagged copies (ARRAY JOIN) grouped back, ordered steps are sorted arrays. Every
 * value put into SQL is a zone or market from our own lists, a number, or a time this module formats.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { CH_BASELINES, CH_HOURLY, CH_TABLE, chTime, isoTime } from "../market/clickhouse_store.ts";
import { type Iso, ISOS, ZONES } from "../market/zones.ts";
import type {
  AnalyticsMarket,
  CorrPair,
  HeatCell,
  MarketEngine,
  PanelQuery,
  SeriesPoint,
  StatsRow,
  ZonePanels,
} from "./engine.ts";
import { type PartSpan, type ReadRange, readRanges } from "./clickhouse_parts.ts";
import { type DailyReturns, SPIKE } from "./stats.ts";

const time = (d: Date) => `toDateTime('${chTime(d)}', 'UTC')`;

function zoneIn(zones: readonly Iso[]): string {
  for (const z of zones) if (!ISOS.includes(z)) throw new RangeError(`unknown zone ${z}`);
  return `zone IN (${zones.map((z) => `'${z}'`).join(", ")})`;
}

const tz = (zone: Iso) => `'${ZONES[zone].timeZone}'`;

interface Range {
  from: Date;
  to: Date;
}

type ZoneRange = { zone: Iso } & Range;

/**
 * How a set of statements reads each table over a range: FINAL only where the table's parts may hold two
 * versions of a key (clickhouse_parts.ts), from a snapshot of its parts taken before the statements.
 */
type Plan = (table: string, r: Range) => ReadRange[];

const sec = (d: Date) => Math.floor(d.getTime() / 1000);
const ALL_FINAL: Plan = (_table, r) => [{ from: sec(r.from), to: sec(r.to), final: true }];

/** `SELECT cols FROM table WHERE where` over `[r.from, r.to)` of its time column `col`, as `plan` reads it. */
function read(plan: Plan, table: string, col: string, cols: string, where: string, r: Range): string {
  const branch = (x: ReadRange) =>
    `SELECT ${cols} FROM ${table}${x.final ? " FINAL" : ""} WHERE ${where}
        AND ${col} >= ${time(new Date(x.from * 1000))} AND ${col} < ${time(new Date(x.to * 1000))}`;
  const ranges = plan(table, r);
  if (!ranges.length) return branch({ from: sec(r.from), to: sec(r.to), final: false }); // an empty range
  return ranges.length === 1 ? branch(ranges[0]) : `SELECT * FROM (${ranges.map(branch).join(" UNION ALL ")})`;
}

function raw(plan: Plan, zones: readonly Iso[], market: "DA" | "RT", r: Range): string {
  return read(
    plan,
    CH_TABLE,
    "interval_start",
    "zone, interval_start AS t, lmp AS v",
    `${zoneIn(zones)} AND market = '${market}'`,
    r,
  );
}

function rtHourly(plan: Plan, zones: readonly Iso[], r: Range): string {
  return read(
    plan,
    CH_HOURLY,
    "hour",
    "zone, hour AS t, lmp_sum / n_intervals AS v",
    `${zoneIn(zones)} AND market = 'RT'`,
    r,
  );
}

/** The hourly rollup of one zone's RT prices in the range. */
function rtRollup(plan: Plan, zone: Iso, r: Range): string {
  return read(
    plan,
    CH_HOURLY,
    "hour",
    "hour AS t, n_intervals AS n, lmp_sum, lmp_min AS lo, lmp_max AS hi",
    `${zoneIn([zone])} AND market = 'RT'`,
    r,
  );
}

/** The extremes of one zone's RT prices in the range, from the hourly rollup (scalar subqueries). */
function rtExtremes(plan: Plan, zone: Iso, r: Range): { lo: string; hi: string } {
  return {
    lo: `(SELECT min(lo) FROM (${rtRollup(plan, zone, r)}))`,
    hi: `(SELECT max(hi) FROM (${rtRollup(plan, zone, r)}))`,
  };
}

function spreadHourly(plan: Plan, zones: readonly Iso[], r: Range): string {
  return `SELECT zone, t, d - r AS v FROM (SELECT zone, t, v AS d FROM (${raw(plan, zones, "DA", r)}))
          ALL INNER JOIN (SELECT zone, t, v AS r FROM (${rtHourly(plan, zones, r)})) USING (zone, t)`;
}

function series(plan: Plan, market: AnalyticsMarket, zones: readonly Iso[], r: Range): string {
  return market === "SPREAD" ? spreadHourly(plan, zones, r) : raw(plan, zones, market, r);
}

function hourly(plan: Plan, market: AnalyticsMarket, zones: readonly Iso[], r: Range): string {
  return market === "RT" ? rtHourly(plan, zones, r) : series(plan, market, zones, r);
}

/** Numbers come as JSON numbers, 64-bit integers as strings, a NaN aggregate (no rows) as null. */
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * The 101 percentile levels for `quantilesExact`, which in 18.16 takes, for a level l < 1, the value at 0-based
 * index ⌊l·n⌋ of the sorted values (nth_element, no full sort) and for l = 1 the last. The nearest-rank
 * index is ⌈p·n/100⌉ − 1, which the level p/100 − 1e-12 gives for every n below 10^10: when p·n/100 is a
 * whole k, ⌊k − 1e-12·n⌋ = k − 1; otherwise its fraction is at least 0.01, more than 1e-12·n, so the floor
 * stays. p = 0 (rank 1) and p = 100 (rank n) are the levels 0 and 1. A double's rounding of l·n (~1e-16·n)
 * is far inside both margins.
 */
const LEVELS = Array.from({ length: 101 }, (_, p) => (p === 0 ? "0" : p === 100 ? "1" : String(p / 100 - 1e-12)))
  .join(", ");

/**
 * The summary statistics of a source `(t, v)` in one pass, plus `extra` aggregates (`expr AS name`) over the
 * same rows. The times of the extremes are the first at each: with `extremes` (scalar subqueries giving the
 * minimum and the maximum, for RT from the hourly rollup) a plain `minIf` per extreme; without, an argMin over
 * (value, time) pairs, which on a year of intervals costs a large share of the pass (measured ~40%).
 */
function statsSql(src: string, extra: Record<string, string> = {}, extremes?: { lo: string; hi: string }): string {
  const at = extremes
    ? { min: `minIf(t, v = ${extremes.lo})`, max: `minIf(t, v = ${extremes.hi})` }
    : { min: "argMin(t, (v, t))", max: "argMax(t, (v, -toInt64(toUInt32(t))))" };
  return `SELECT count() AS n, avg(v) AS mean, stddevPop(v) AS sd, countIf(v < 0) AS neg, min(v) AS mn,
                 max(v) AS mx, quantilesExact(${LEVELS})(v) AS pct, toString(${at.min}, 'UTC') AS min_at,
                 toString(${at.max}, 'UTC') AS max_at
                 ${Object.entries(extra).map(([k, e]) => `, ${e} AS ${k}`).join("")}
            FROM (${src})`;
}

interface StatsOut {
  n: string;
  mean: number | null;
  sd: number | null;
  neg: string;
  mn: number;
  mx: number;
  pct: number[];
  min_at: string;
  max_at: string;
}

function statsOf(r: StatsOut | undefined): StatsRow {
  const count = Number(r?.n ?? 0);
  if (!r || !count) {
    return {
      count: 0,
      mean: null,
      stddev: null,
      negative: 0,
      pct: [],
      min: null,
      min_at: null,
      max: null,
      max_at: null,
    };
  }
  return {
    count,
    mean: num(r.mean),
    stddev: num(r.sd),
    negative: Number(r.neg),
    pct: r.pct.map(Number),
    min: Number(r.mn),
    min_at: isoTime(r.min_at),
    max: Number(r.mx),
    max_at: isoTime(r.max_at),
  };
}

const SCALE = `greatest(${SPIKE.madToSigma} * mad, ${SPIKE.scaleFloor})`;

/**
 * The intervals `(t, v, baseline, mad)` of the hours of the range that can hold a spike — those whose
 * extremes reach the threshold — from the baselines the relay keeps with each hour's intervals
 * (services/market/clickhouse_store.ts). The threshold is applied after FINAL, to each hour's newest version.
 */
function spikeIntervals(plan: Plan, q: { zone: Iso } & Range, thr: number): string {
  const hours = read(plan, CH_BASELINES, "hour", "hour, baseline, mad, lo, hi, starts, prices", zoneIn([q.zone]), q);
  return `SELECT t, v, baseline, mad FROM (
            SELECT hour, baseline, mad, starts, prices FROM (${hours})
             WHERE (hi - baseline) / ${SCALE} >= ${thr} OR (baseline - lo) / ${SCALE} >= ${thr}
          ) ARRAY JOIN starts AS t, prices AS v`;
}

/** The spikes among rows `(t, v, baseline, mad)`: their count (`spikes`) and the largest listed (`items`). */
function spikeAggregates(thr: number): string {
  const score = `(v - baseline) / ${SCALE}`;
  const is = `abs(${score}) >= ${thr}`;
  // Times become text only once listed: toString over every interval the aggregate sees would cost more.
  return `countIf(${is}) AS spikes,
          arrayMap(x -> (toString(x.1), x.2, x.3, x.4),
                   arraySlice(arraySort(x -> (-abs(x.4), x.1), groupArrayIf((t, v, baseline, ${score}), ${is})),
                              1, ${SPIKE.maxListed})) AS items`;
}

type SpikeItems = [string, number, number, number][];
const spikesOf = (count: string | undefined, items: SpikeItems | undefined) => ({
  count: Number(count ?? 0),
  items: (items ?? []).map(([t, price, baseline, score]) => ({ t: isoTime(t), price, baseline, score })),
});

/**
 * The spread's statistics with its sums and counts per hour of day and per day, from one read of it: each
 * hour's local hour and day converted once, and one sumMap per grouping carrying both the sum and the count.
 */
function spreadSql(plan: Plan, q: { zone: Iso } & Range): string {
  return statsSql(
    `SELECT t, v, toHour(t, ${tz(q.zone)}) AS hr, toDate(t, ${tz(q.zone)}) AS dy
       FROM (${spreadHourly(plan, [q.zone], q)})`,
    { by_hour: "sumMap([hr], [v], [toUInt64(1)])", by_day: "sumMap([dy], [v], [toUInt64(1)])" },
  );
}

interface SpreadOut extends StatsOut {
  /** Keys, sums and counts. */
  by_hour: [number[], number[], string[]];
  by_day: [string[], number[], string[]];
}

const byHourOf = (r: SpreadOut | undefined) =>
  r
    ? r.by_hour[0].map((hour, i) => ({
      hour,
      mean: r.by_hour[1][i] / Number(r.by_hour[2][i]),
      count: Number(r.by_hour[2][i]),
    }))
    : [];
const byDayOf = (r: SpreadOut | undefined) =>
  r ? r.by_day[0].map((date, i) => ({ date, hours: Number(r.by_day[2][i]), spread: r.by_day[1][i] })) : [];

export function clickhouseEngine(client: ClickHouseClient): MarketEngine {
  async function rows<T>(query: string): Promise<T[]> {
    // One thread per statement: a panel runs its statements side by side, which fills the cores already, and
    // a second thread per statement cost ~13% more CPU over the panel for no shorter wait (measured, 2 cores).
    const rs = await client.query({ query, format: "JSONEachRow", clickhouse_settings: { max_threads: 1 } });
    return await rs.json<T>();
  }

  /**
   * The RT heatmap, series (whole-hour buckets) and daily returns from one read of the rollup: each hour copied
   * to the three (ARRAY JOIN) and grouped by panel and key — the cell (ISO weekday · 100 + hour), the bucket's
   * start (Unix seconds) or the day (days since 1970) — each as its own statement would.
   */
  async function rollupPanels(plan: Plan, q: PanelQuery, bucketS: number) {
    const zone = tz(q.zone);
    const out = await rows<
      {
        kind: number;
        key: string;
        mean: number;
        cnt: string;
        mn: number;
        mx: number;
        rn: string;
        rs: number;
        rss: number;
      }
    >(
      `SELECT kind, key, mean, cnt, mn, mx, length(r) AS rn, arraySum(r) AS rs, arraySum(x -> x * x, r) AS rss FROM (
         SELECT kind, multiIf(kind = 0, toUInt32(toDayOfWeek(t, ${zone})) * 100 + toHour(t, ${zone}),
                              kind = 1, intDiv(toUInt32(t), ${bucketS}) * ${bucketS},
                              toUInt32(toDate(t, ${zone}))) AS key,
                sum(lmp_sum) / sum(n) AS mean, sum(n) AS cnt, min(lo) AS mn, max(hi) AS mx,
                arrayPopFront(arrayDifference(arrayMap(x -> x.2, arraySort(groupArrayIf((t, lmp_sum / n), kind = 2)))))
                  AS r
           FROM (${rtRollup(plan, q.zone, q)}) ARRAY JOIN [0, 1, 2] AS kind
          GROUP BY kind, key
       ) ORDER BY kind, key`,
    );
    const heatmap: HeatCell[] = [], series: SeriesPoint[] = [], returns: DailyReturns[] = [];
    for (const r of out) {
      const key = Number(r.key);
      if (Number(r.kind) === 0) {
        heatmap.push({ dow: Math.floor(key / 100), hour: key % 100, mean: r.mean, count: Number(r.cnt) });
      } else if (Number(r.kind) === 1) {
        series.push({ t: new Date(key * 1000).toISOString(), mean: r.mean, min: r.mn, max: r.mx });
      } else {
        const date = new Date(key * 86_400_000).toISOString().slice(0, 10);
        returns.push({ date, n: Number(r.rn), sum: Number(r.rs), sumsq: Number(r.rss) });
      }
    }
    return { heatmap, series, returns };
  }

  /** Each method of the engine with the read plan as its first argument. */
  const planned = {
    async panels(plan: Plan, q: PanelQuery, bucketS: number, threshold: number): Promise<ZonePanels> {
      const zq = { zone: q.zone, from: q.from, to: q.to };
      // The spread read once for its statistics, hours and days; the spikes from the relay's baselines.
      // Four statements (six for DA and the spread), in parallel.
      const own = async () => {
        const [stats, spikes] = await Promise.all([
          q.market === "SPREAD" ? null : planned.stats(plan, q),
          planned.spikes(plan, zq, threshold),
        ]);
        return { stats, spikes };
      };
      // RT in whole-hour buckets: the heatmap, the series and the returns all read the rollup, so one
      // statement reads it once for the three.
      const fromRollup = async () => {
        if (q.market === "RT" && bucketS % 3600 === 0) return await rollupPanels(plan, q, bucketS);
        const [heatmap, series, returns] = await Promise.all([
          planned.heatmap(plan, q),
          planned.series(plan, q, bucketS),
          planned.returnsByDay(plan, zq),
        ]);
        return { heatmap, series, returns };
      };
      const [main, [spread], { heatmap, series, returns }] = await Promise.all([
        own(),
        rows<SpreadOut>(spreadSql(plan, zq)),
        fromRollup(),
      ]);
      const spreadStats = statsOf(spread);
      return {
        stats: main.stats ?? spreadStats,
        heatmap,
        series,
        spreadStats,
        byHour: byHourOf(spread),
        byDay: byDayOf(spread),
        returns,
        spikes: main.spikes,
      };
    },

    async stats(plan: Plan, q: PanelQuery): Promise<StatsRow> {
      const extremes = q.market === "RT" ? rtExtremes(plan, q.zone, q) : undefined;
      return statsOf((await rows<StatsOut>(statsSql(series(plan, q.market, [q.zone], q), {}, extremes)))[0]);
    },

    async heatmap(plan: Plan, q: PanelQuery): Promise<HeatCell[]> {
      const cell = (col: string) => `toDayOfWeek(${col}, ${tz(q.zone)}) AS dow, toHour(${col}, ${tz(q.zone)}) AS hour`;
      const out = await rows<{ dow: number; hour: number; mean: number; count: string }>(
        q.market === "RT"
          ? `SELECT ${cell("t")}, sum(lmp_sum) / sum(n) AS mean, sum(n) AS count
               FROM (${rtRollup(plan, q.zone, q)}) GROUP BY dow, hour ORDER BY dow, hour`
          : `SELECT ${cell("t")}, avg(v) AS mean, count() AS count
               FROM (${series(plan, q.market, [q.zone], q)}) GROUP BY dow, hour ORDER BY dow, hour`,
      );
      return out.map((r) => ({ dow: Number(r.dow), hour: Number(r.hour), mean: r.mean, count: Number(r.count) }));
    },

    async series(plan: Plan, q: PanelQuery, bucketS: number): Promise<SeriesPoint[]> {
      const bin = (col: string) =>
        `toString(toDateTime(intDiv(toUInt32(${col}), ${bucketS}) * ${bucketS}, 'UTC')) AS b`;
      const out = await rows<{ b: string; mean: number; min: number; max: number }>(
        q.market === "RT" && bucketS % 3600 === 0
          ? `SELECT ${bin("t")}, sum(lmp_sum) / sum(n) AS mean, min(lo) AS min, max(hi) AS max
               FROM (${rtRollup(plan, q.zone, q)}) GROUP BY b ORDER BY b`
          : `SELECT ${bin("t")}, avg(v) AS mean, min(v) AS min, max(v) AS max
               FROM (${series(plan, q.market, [q.zone], q)}) GROUP BY b ORDER BY b`,
      );
      return out.map((r) => ({ t: isoTime(r.b), mean: r.mean, min: r.min, max: r.max }));
    },

    async returnsByDay(plan: Plan, q: ZoneRange): Promise<DailyReturns[]> {
      const out = await rows<{ date: string; n: string; sum: number; sumsq: number }>(
        `SELECT date, length(r) AS n, arraySum(r) AS sum, arraySum(x -> x * x, r) AS sumsq FROM (
           SELECT toString(toDate(t, ${tz(q.zone)})) AS date,
                  arrayPopFront(arrayDifference(arrayMap(x -> x.2, arraySort(groupArray((t, lmp_sum / n)))))) AS r
             FROM (${rtRollup(plan, q.zone, q)}) GROUP BY date
         ) ORDER BY date`,
      );
      return out.map((r) => ({ date: r.date, n: Number(r.n), sum: Number(r.sum), sumsq: Number(r.sumsq) }));
    },

    async spikes(plan: Plan, q: ZoneRange, threshold: number): Promise<ZonePanels["spikes"]> {
      const [r] = await rows<{ spikes: string; items: SpikeItems }>(
        // Number(): whatever reached here, SQL gets a number.
        `SELECT ${spikeAggregates(Number(threshold))} FROM (${spikeIntervals(plan, q, Number(threshold))})`,
      );
      return spikesOf(r?.spikes, r?.items);
    },

    async correlation(plan: Plan, q: Parameters<MarketEngine["correlation"]>[0]): Promise<CorrPair[]> {
      const h = hourly(plan, q.market, q.zones, q);
      const out = await rows<{ a: string; b: string; corr: number | null; n: string }>(
        `SELECT a, b, corr(va, vb) AS corr, count() AS n
           FROM (SELECT zone AS a, t, v AS va FROM (${h}))
           ALL INNER JOIN (SELECT zone AS b, t, v AS vb FROM (${h})) USING t
          WHERE a < b GROUP BY a, b ORDER BY a, b`,
      );
      return out.map((r) => ({ a: r.a, b: r.b, corr: num(r.corr), n: Number(r.n) }));
    },
  };

  /**
   * Runs statements on a plan from a snapshot of the tables' parts, and checks the parts after: if any changed
   * (an insert or a merge) the statements may have read a part the plan did not know, so they run again, all
   * FINAL. Part names are never reused, so parts equal before and after were the parts read.
   */
  async function consistent<T>(run: (plan: Plan) => Promise<T>): Promise<T> {
    const before = await partsSnapshot();
    let plain = false;
    const out = await run((table, r) => {
      const ranges = readRanges(before.spans.get(table) ?? [], sec(r.from), sec(r.to));
      plain ||= ranges.some((x) => !x.final);
      return ranges;
    });
    if (!plain || (await partsSnapshot()).names === before.names) return out;
    return await run(ALL_FINAL);
  }

  async function partsSnapshot(): Promise<{ names: string; spans: Map<string, PartSpan[]> }> {
    const parts = await rows<{ table: string; name: string; lo: number; hi: number }>(
      `SELECT table, name, toUInt32(min_time) AS lo, toUInt32(max_time) AS hi FROM system.parts
        WHERE database = currentDatabase() AND active AND table IN ('${CH_TABLE}', '${CH_HOURLY}', '${CH_BASELINES}')
        ORDER BY table, name`,
    );
    const spans = new Map<string, PartSpan[]>();
    for (const p of parts) {
      const list = spans.get(p.table) ?? [];
      // No time span recorded (a table from before the monthly partitions): the part may hold any time.
      list.push(p.lo || p.hi ? { min: Number(p.lo), max: Number(p.hi) } : { min: -Infinity, max: Infinity });
      spans.set(p.table, list);
    }
    return { names: parts.map((p) => `${p.table}/${p.name}`).join(","), spans };
  }

  return {
    name: "clickhouse",
    panels: (q, bucketS, threshold) => consistent((plan) => planned.panels(plan, q, bucketS, threshold)),
    stats: (q) => consistent((plan) => planned.stats(plan, q)),
    heatmap: (q) => consistent((plan) => planned.heatmap(plan, q)),
    series: (q, bucketS) => consistent((plan) => planned.series(plan, q, bucketS)),
    returnsByDay: (q) => consistent((plan) => planned.returnsByDay(plan, q)),
    spikes: (q, threshold) => consistent((plan) => planned.spikes(plan, q, threshold)),
    correlation: (q) => consistent((plan) => planned.correlation(plan, q)),
  };
}
