/**
 * The market panels as ClickHouse SQL, over the relay's copy of market_prices (read FINAL: one row per
 * interval, newest version) and its hourly rollup (services/market/clickhouse_store.ts).
 *
 * Written for ClickHouse 18.16 (CI): no window functions, no server-side parameters, no WITH subqueries;
 * trailing windows are lagged copies (ARRAY JOIN) grouped back, ordered steps are sorted arrays. Every
 * value put into SQL is a zone or market from our own lists, a number, or a time this module formats.
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { CH_HOURLY, CH_TABLE, chTime, isoTime } from "../market/clickhouse_store.ts";
import { type Iso, ISOS, ZONES } from "../market/zones.ts";
import type { AnalyticsMarket, MarketEngine, StatsRow } from "./engine.ts";
import { percentileRank, SPIKE } from "./stats.ts";

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

function raw(zones: readonly Iso[], market: "DA" | "RT", r: Range): string {
  return `SELECT zone, interval_start AS t, lmp AS v FROM ${CH_TABLE} FINAL
           WHERE ${zoneIn(zones)} AND market = '${market}'
             AND interval_start >= ${time(r.from)} AND interval_start < ${time(r.to)}`;
}

function rtHourly(zones: readonly Iso[], r: Range): string {
  return `SELECT zone, hour AS t, lmp_sum / n_intervals AS v FROM ${CH_HOURLY} FINAL
           WHERE ${zoneIn(zones)} AND market = 'RT' AND hour >= ${time(r.from)} AND hour < ${time(r.to)}`;
}

/** The hourly rollup of one zone's RT prices in the range. */
function rtRollup(zone: Iso, r: Range): string {
  return `SELECT hour AS t, n_intervals AS n, lmp_sum, lmp_min AS lo, lmp_max AS hi FROM ${CH_HOURLY} FINAL
           WHERE ${zoneIn([zone])} AND market = 'RT' AND hour >= ${time(r.from)} AND hour < ${time(r.to)}`;
}

function spreadHourly(zones: readonly Iso[], r: Range): string {
  return `SELECT zone, t, d - r AS v FROM (SELECT zone, t, v AS d FROM (${raw(zones, "DA", r)}))
          ALL INNER JOIN (SELECT zone, t, v AS r FROM (${rtHourly(zones, r)})) USING (zone, t)`;
}

function series(market: AnalyticsMarket, zones: readonly Iso[], r: Range): string {
  return market === "SPREAD" ? spreadHourly(zones, r) : raw(zones, market, r);
}

function hourly(market: AnalyticsMarket, zones: readonly Iso[], r: Range): string {
  return market === "RT" ? rtHourly(zones, r) : series(market, zones, r);
}

/** Numbers come as JSON numbers, 64-bit integers as strings, a NaN aggregate (no rows) as null. */
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * The summary statistics of a source `(t, v)` in one pass, plus `extra` aggregates (`expr AS name_`) over
 * the same rows: the aggregates and the sorted values, then only the values at the percentiles' ranks leave
 * the server. Rank i (1-based) is the p-th percentile's for some integer p in 0 … 100 exactly when
 * ⌈p·n/100⌉ = i has a solution: i = 1, or ⌊100·i/n⌋ > ⌊100·(i − 1)/n⌋. (Indexing the sorted array in a
 * lambda over the 101 ranks hands the lambda a copy of the whole array per rank: measured 2–4× slower.)
 * 18.16 drops a subquery's column that only a lambda reads, so `n_` is also selected on its own.
 */
function statsSql(src: string, extra: Record<string, string> = {}): string {
  const rank = (i: string) => `${i} = 1 OR intDiv(100 * ${i}, n_) > intDiv(100 * (${i} - 1), n_)`;
  return `SELECT n_ AS n, mean_ AS mean, sd_ AS sd, neg_ AS neg, mn_ AS mn, mx_ AS mx, min_at_ AS min_at,
                 max_at_ AS max_at, arrayFilter(i -> ${rank("i")}, arrayEnumerate(arr)) AS ranks,
                 arrayFilter((x, i) -> ${rank("i")}, arr, arrayEnumerate(arr)) AS picks
                 ${Object.keys(extra).map((k) => `, ${k}_ AS ${k}`).join("")}
            FROM (
              SELECT count() AS n_, avg(v) AS mean_, stddevPop(v) AS sd_, countIf(v < 0) AS neg_, min(v) AS mn_,
                     max(v) AS mx_, arraySort(groupArray(v)) AS arr,
                     -- The first time at the minimum and at the maximum: ties go to the earlier time.
                     toString(argMin(t, (v, t)), 'UTC') AS min_at_,
                     toString(argMax(t, (v, -toInt64(toUInt32(t)))), 'UTC') AS max_at_
                     ${Object.entries(extra).map(([k, e]) => `, ${e} AS ${k}_`).join("")}
                FROM (${src})
            )`;
}

interface StatsOut {
  n: string;
  mean: number | null;
  sd: number | null;
  neg: string;
  mn: number;
  mx: number;
  ranks: string[];
  picks: number[];
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
  const atRank = new Map(r.ranks.map((i, k) => [Number(i), r.picks[k]]));
  return {
    count,
    mean: num(r.mean),
    stddev: num(r.sd),
    negative: Number(r.neg),
    pct: Array.from({ length: 101 }, (_, p) => Number(atRank.get(percentileRank(p, count)))),
    min: Number(r.mn),
    min_at: isoTime(r.min_at),
    max: Number(r.mx),
    max_at: isoTime(r.max_at),
  };
}

/** `sumMap` keys and values as a list of `[key, value]`. */
const pairs = <K, V>(m: [K[], V[]]): [K, V][] => m[0].map((k, i) => [k, m[1][i]]);

const SCALE = `greatest(${SPIKE.madToSigma} * mad, ${SPIKE.scaleFloor})`;

/**
 * The hours of the range that can hold a spike, with their baseline (median) and MAD: only hours whose
 * extremes reach the threshold, so only their intervals are scored, the baseline computed once and carried.
 * One read of the rollup: each hour is copied to itself (k = 0, its own extremes) and to the 1 … LAGS weeks
 * after it (its mean, a value of their baselines), then grouped back by the hour it landed on.
 */
function spikeCandidates(q: { zone: Iso } & Range, thr: number): string {
  const trailing = { from: new Date(q.from.getTime() - SPIKE.lagsWeeks * 168 * 3_600_000), to: q.to };
  const lags = Array.from({ length: SPIKE.lagsWeeks + 1 }, (_, k) => k).join(", ");
  const mid = "intDiv(m + 1, 2)";
  return `SELECT hr, baseline, mad FROM (
            SELECT target AS hr, vals[${mid}] AS baseline,
                   arraySort(arrayMap(x -> abs(x - baseline), vals))[${mid}] AS mad, lo, hi
              FROM (
                SELECT target, arraySort(groupArrayIf(v, k > 0)) AS vals, length(vals) AS m, maxIf(lo, k = 0) AS lo,
                       maxIf(hi, k = 0) AS hi
                  FROM (SELECT t + 604800 * k AS target, k, lmp_sum / n AS v, lo, hi FROM (${
    rtRollup(q.zone, trailing)
  })
                        ARRAY JOIN [${lags}] AS k)
                 WHERE target >= ${time(q.from)} AND target < ${time(q.to)}
                 GROUP BY target HAVING countIf(k = 0) = 1 AND m >= ${SPIKE.minBaseline}
              )
          ) WHERE (hi - baseline) / ${SCALE} >= ${thr} OR (baseline - lo) / ${SCALE} >= ${thr}`;
}

/** The spikes as aggregates over rows `(t, v, baseline, mad)` where `cond` holds: their count and the list. */
function spikeAggregates(thr: number, cond = "1"): Record<string, string> {
  const score = `(v - baseline) / ${SCALE}`;
  const is = `${cond} AND abs(${score}) >= ${thr}`;
  return {
    spikes: `countIf(${is})`,
    // Times become text only once listed: toString over every interval the aggregate sees would cost more.
    items: `arrayMap(x -> (toString(x.1), x.2, x.3, x.4),
                     arraySlice(arraySort(x -> (-abs(x.4), x.1), groupArrayIf((t, v, baseline, ${score}), ${is})),
                                1, ${SPIKE.maxListed}))`,
  };
}

type SpikeItems = [string, number, number, number][];
const spikesOf = (count: string | undefined, items: SpikeItems | undefined) => ({
  count: Number(count ?? 0),
  items: (items ?? []).map(([t, price, baseline, score]) => ({ t: isoTime(t), price, baseline, score })),
});

/** The spread's statistics with its sums and counts per hour of day and per day, from one read of it. */
function spreadSql(q: { zone: Iso } & Range): string {
  const hour = `[toHour(t, ${tz(q.zone)})]`, day = `[toDate(t, ${tz(q.zone)})]`;
  return statsSql(spreadHourly([q.zone], q), {
    hour_sum: `sumMap(${hour}, [v])`,
    hour_n: `sumMap(${hour}, [toUInt64(1)])`,
    day_sum: `sumMap(${day}, [v])`,
    day_n: `sumMap(${day}, [toUInt64(1)])`,
  });
}

interface SpreadOut extends StatsOut {
  hour_sum: [number[], number[]];
  hour_n: [number[], string[]];
  day_sum: [string[], number[]];
  day_n: [string[], string[]];
}

const byHourOf = (r: SpreadOut | undefined) =>
  r ? pairs(r.hour_n).map(([hour, n], i) => ({ hour, mean: r.hour_sum[1][i] / Number(n), count: Number(n) })) : [];
const byDayOf = (r: SpreadOut | undefined) =>
  r ? pairs(r.day_n).map(([date, n], i) => ({ date, hours: Number(n), spread: r.day_sum[1][i] })) : [];

export function clickhouseEngine(client: ClickHouseClient): MarketEngine {
  async function rows<T>(query: string): Promise<T[]> {
    const rs = await client.query({ query, format: "JSONEachRow" });
    return await rs.json<T>();
  }

  const engine: MarketEngine = {
    name: "clickhouse",

    async panels(q, bucketS, threshold) {
      const zq = { zone: q.zone, from: q.from, to: q.to };
      const thr = Number(threshold);
      // RT: the intervals read once for their statistics and their spikes (a left join to the candidate
      // hours); the spread once for its statistics, hours and days. Five statements, in parallel.
      const own = async () => {
        if (q.market !== "RT") {
          const [stats, spikes] = await Promise.all([
            q.market === "DA" ? engine.stats(q) : null,
            engine.spikes(zq, thr),
          ]);
          return { stats, spikes };
        }
        const [r] = await rows<StatsOut & { spikes: string; items: SpikeItems }>(statsSql(
          `SELECT t, v, baseline, mad, cand FROM (SELECT t, v, toStartOfHour(t) AS hr FROM (${raw([q.zone], "RT", q)}))
             ALL LEFT JOIN (SELECT hr, baseline, mad, 1 AS cand FROM (${spikeCandidates(zq, thr)})) USING hr`,
          spikeAggregates(thr, "cand = 1"),
        ));
        return { stats: statsOf(r), spikes: spikesOf(r?.spikes, r?.items) };
      };
      const [main, [spread], heatmap, series, returns] = await Promise.all([
        own(),
        rows<SpreadOut>(spreadSql(zq)),
        engine.heatmap(q),
        engine.series(q, bucketS),
        engine.returnsByDay(zq),
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

    async stats(q) {
      return statsOf((await rows<StatsOut>(statsSql(series(q.market, [q.zone], q))))[0]);
    },

    async heatmap(q) {
      const cell = (col: string) => `toDayOfWeek(${col}, ${tz(q.zone)}) AS dow, toHour(${col}, ${tz(q.zone)}) AS hour`;
      const out = await rows<{ dow: number; hour: number; mean: number; count: string }>(
        q.market === "RT"
          ? `SELECT ${cell("t")}, sum(lmp_sum) / sum(n) AS mean, sum(n) AS count
               FROM (${rtRollup(q.zone, q)}) GROUP BY dow, hour ORDER BY dow, hour`
          : `SELECT ${cell("t")}, avg(v) AS mean, count() AS count
               FROM (${series(q.market, [q.zone], q)}) GROUP BY dow, hour ORDER BY dow, hour`,
      );
      return out.map((r) => ({ dow: Number(r.dow), hour: Number(r.hour), mean: r.mean, count: Number(r.count) }));
    },

    async series(q, bucketS) {
      const bin = (col: string) =>
        `toString(toDateTime(intDiv(toUInt32(${col}), ${bucketS}) * ${bucketS}, 'UTC')) AS b`;
      const out = await rows<{ b: string; mean: number; min: number; max: number }>(
        q.market === "RT" && bucketS % 3600 === 0
          ? `SELECT ${bin("t")}, sum(lmp_sum) / sum(n) AS mean, min(lo) AS min, max(hi) AS max
               FROM (${rtRollup(q.zone, q)}) GROUP BY b ORDER BY b`
          : `SELECT ${bin("t")}, avg(v) AS mean, min(v) AS min, max(v) AS max
               FROM (${series(q.market, [q.zone], q)}) GROUP BY b ORDER BY b`,
      );
      return out.map((r) => ({ t: isoTime(r.b), mean: r.mean, min: r.min, max: r.max }));
    },

    spreadByHour: async (q) => byHourOf((await rows<SpreadOut>(spreadSql(q)))[0]),
    spreadByDay: async (q) => byDayOf((await rows<SpreadOut>(spreadSql(q)))[0]),

    async returnsByDay(q) {
      const out = await rows<{ date: string; n: string; sum: number; sumsq: number }>(
        `SELECT date, length(r) AS n, arraySum(r) AS sum, arraySum(x -> x * x, r) AS sumsq FROM (
           SELECT toString(toDate(t, ${tz(q.zone)})) AS date,
                  arrayPopFront(arrayDifference(arrayMap(x -> x.2, arraySort(groupArray((t, lmp_sum / n)))))) AS r
             FROM (${rtRollup(q.zone, q)}) GROUP BY date
         ) ORDER BY date`,
      );
      return out.map((r) => ({ date: r.date, n: Number(r.n), sum: Number(r.sum), sumsq: Number(r.sumsq) }));
    },

    async spikes(q, threshold) {
      const [r] = await rows<{ spikes: string; items: SpikeItems }>(
        `SELECT ${Object.entries(spikeAggregates(Number(threshold))).map(([k, e]) => `${e} AS ${k}`).join(", ")}
           FROM (SELECT t, v, toStartOfHour(t) AS hr FROM (${raw([q.zone], "RT", q)}))
           ALL INNER JOIN (${spikeCandidates(q, Number(threshold))}) USING hr`,
      );
      return spikesOf(r?.spikes, r?.items);
    },

    async correlation(q) {
      const h = hourly(q.market, q.zones, q);
      const out = await rows<{ a: string; b: string; corr: number | null; n: string }>(
        `SELECT a, b, corr(va, vb) AS corr, count() AS n
           FROM (SELECT zone AS a, t, v AS va FROM (${h}))
           ALL INNER JOIN (SELECT zone AS b, t, v AS vb FROM (${h})) USING t
          WHERE a < b GROUP BY a, b ORDER BY a, b`,
      );
      return out.map((r) => ({ a: r.a, b: r.b, corr: num(r.corr), n: Number(r.n) }));
    },
  };
  return engine;
}
