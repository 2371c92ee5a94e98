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
import type { AnalyticsMarket, MarketEngine } from "./engine.ts";
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

export function clickhouseEngine(client: ClickHouseClient): MarketEngine {
  async function rows<T>(query: string): Promise<T[]> {
    const rs = await client.query({ query, format: "JSONEachRow" });
    return await rs.json<T>();
  }

  const engine: MarketEngine = {
    name: "clickhouse",

    async panels(q, bucketS, threshold) {
      const zq = { zone: q.zone, from: q.from, to: q.to };
      const [stats, heatmap, series, spreadStats, byHour, byDay, returns, spikes] = await Promise.all([
        engine.stats(q),
        engine.heatmap(q),
        engine.series(q, bucketS),
        engine.stats({ ...q, market: "SPREAD" }),
        engine.spreadByHour(zq),
        engine.spreadByDay(zq),
        engine.returnsByDay(zq),
        engine.spikes(zq, threshold),
      ]);
      return { stats, heatmap, series, spreadStats, byHour, byDay, returns, spikes };
    },

    async stats(q) {
      // One pass: the aggregates and the sorted values, then only the values at the percentiles' ranks leave
      // the server. Rank i (1-based) is the p-th percentile's for some integer p in 0 … 100 exactly when
      // ⌈p·n/100⌉ = i has a solution: i = 1, or ⌊100·i/n⌋ > ⌊100·(i − 1)/n⌋. (Indexing the sorted array in a
      // lambda over the 101 ranks hands the lambda a copy of the whole array per rank: measured 2–4× slower.)
      const [r] = await rows<{
        n: string;
        mean: number | null;
        sd: number | null;
        neg: string;
        mn: number;
        mx: number;
        picks: [string, number][];
        min_at: string;
        max_at: string;
      }>(
        `SELECT any(n_) AS n, any(mean_) AS mean, any(sd_) AS sd, any(neg_) AS neg, any(mn_) AS mn, any(mx_) AS mx,
                groupArray((i, x)) AS picks, any(min_at_) AS min_at, any(max_at_) AS max_at
           FROM (
             SELECT count() AS n_, avg(v) AS mean_, stddevPop(v) AS sd_, countIf(v < 0) AS neg_, min(v) AS mn_,
                    max(v) AS mx_, arraySort(groupArray(v)) AS arr,
                    -- The first time at the minimum and at the maximum: ties go to the earlier time.
                    toString(argMin(t, (v, t)), 'UTC') AS min_at_,
                    toString(argMax(t, (v, -toInt64(toUInt32(t)))), 'UTC') AS max_at_
               FROM (${series(q.market, [q.zone], q)})
           ) ARRAY JOIN arr AS x, arrayEnumerate(arr) AS i
          WHERE i = 1 OR intDiv(100 * i, n_) > intDiv(100 * (i - 1), n_)`,
      );
      const count = Number(r?.n ?? 0);
      if (!count) {
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
      const atRank = new Map(r.picks.map(([i, x]) => [Number(i), x]));
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

    async spreadByHour(q) {
      const out = await rows<{ hour: number; mean: number; count: string }>(
        `SELECT toHour(t, ${tz(q.zone)}) AS hour, avg(v) AS mean, count() AS count
           FROM (${spreadHourly([q.zone], q)}) GROUP BY hour ORDER BY hour`,
      );
      return out.map((r) => ({ hour: Number(r.hour), mean: r.mean, count: Number(r.count) }));
    },

    async spreadByDay(q) {
      const out = await rows<{ date: string; hours: string; spread: number }>(
        `SELECT toString(toDate(t, ${tz(q.zone)})) AS date, count() AS hours, sum(v) AS spread
           FROM (${spreadHourly([q.zone], q)}) GROUP BY date ORDER BY date`,
      );
      return out.map((r) => ({ date: r.date, hours: Number(r.hours), spread: r.spread }));
    },

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
      const trailing = { from: new Date(q.from.getTime() - SPIKE.lagsWeeks * 168 * 3_600_000), to: q.to };
      const lags = Array.from({ length: SPIKE.lagsWeeks }, (_, i) => i + 1).join(", ");
      const mid = "intDiv(m + 1, 2)";
      const thr = Number(threshold);
      const scale = `greatest(${SPIKE.madToSigma} * mad, ${SPIKE.scaleFloor})`;
      const baseline = `SELECT target AS hr, vals[${mid}] AS baseline,
                               arraySort(arrayMap(x -> abs(x - baseline), vals))[${mid}] AS mad
                          FROM (
                            SELECT target, arraySort(groupArray(v)) AS vals, length(vals) AS m
                              FROM (SELECT t + 604800 * k AS target, v FROM (${rtHourly([q.zone], trailing)})
                                    ARRAY JOIN [${lags}] AS k)
                             WHERE target >= ${time(q.from)} AND target < ${time(q.to)}
                             GROUP BY target HAVING count() >= ${SPIKE.minBaseline}
                          )`;
      // Only hours whose extremes reach the threshold can hold a spike: their intervals alone are scored, the
      // baseline computed once and carried with them.
      const candidates = `SELECT hr, baseline, mad FROM (${baseline})
                            ALL INNER JOIN (SELECT t AS hr, lo, hi FROM (${rtRollup(q.zone, q)})) USING hr
                           WHERE (hi - baseline) / ${scale} >= ${thr} OR (baseline - lo) / ${scale} >= ${thr}`;
      const [r] = await rows<{ total: string; items: [string, number, number, number][] }>(
        `SELECT count() AS total,
                arraySlice(arraySort(x -> (-abs(x.4), x.1), groupArray((toString(t), price, baseline, score))),
                           1, ${SPIKE.maxListed}) AS items
           FROM (
             SELECT t, price, baseline, (price - baseline) / ${scale} AS score
               FROM (SELECT t, v AS price, toStartOfHour(t) AS hr FROM (${raw([q.zone], "RT", q)}))
               ALL INNER JOIN (${candidates}) USING hr
           ) WHERE abs(score) >= ${thr}`,
      );
      return {
        count: Number(r?.total ?? 0),
        items: (r?.items ?? []).map(([t, price, baseline, score]) => ({ t: isoTime(t), price, baseline, score })),
      };
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
