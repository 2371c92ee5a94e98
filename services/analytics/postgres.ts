/**
 * The market panels as SQL on Postgres (and PGlite). Parameters: $1 the zone (or zones), $2 from, $3 to.
 * Hours are absolute (`date_bin` on UTC, offsets in hours, never `interval 'n days'`, which follows the
 * session's time zone); weekdays, hours of day and days are on the zone's market clock.
 */
import type { Database, Queryable } from "../../db/database.ts";
import { type Iso, ZONES } from "../market/zones.ts";
import type { AnalyticsMarket, MarketEngine } from "./engine.ts";
import { SPIKE } from "./stats.ts";

const EPOCH = `timestamptz '1970-01-01 00:00:00+00'`;
const range = (a = "") => `${a}interval_start >= $2::timestamptz AND ${a}interval_start < $3::timestamptz`;
const RANGE = range();

/** The zone's IANA name as SQL text: from our own table, never from input. */
function tz(zone: Iso): string {
  return `'${ZONES[zone].timeZone}'`;
}

/** RT prices per hour (mean of its intervals, from the hourly rollup, migration 012) of the zones selected. */
function rtHourly(zoneSql: string, from = "$2::timestamptz"): string {
  return `SELECT zone, hour AS t, (lmp_sum / n)::float8 AS v FROM market_prices_hourly
           WHERE ${zoneSql} AND market = 'RT' AND hour >= ${from} AND hour < $3::timestamptz`;
}

/** The hourly rollup of the zone's RT prices in the range. */
const RT_ROLLUP = `SELECT hour, n, lmp_sum, lmp_min::float8 AS lo, lmp_max::float8 AS hi FROM market_prices_hourly
                    WHERE zone = $1 AND market = 'RT' AND hour >= $2::timestamptz AND hour < $3::timestamptz`;

function spreadHourly(zoneSql: string): string {
  return `SELECT d.zone, d.interval_start AS t, d.lmp::float8 - r.v AS v
            FROM market_prices d JOIN (${rtHourly(zoneSql)}) r ON r.zone = d.zone AND r.t = d.interval_start
           WHERE d.${zoneSql} AND d.market = 'DA' AND ${range("d.")}`;
}

/** (zone, t, v): the values a market's panels are about. */
function series(market: AnalyticsMarket, zoneSql = "zone = $1"): string {
  if (market === "SPREAD") return spreadHourly(zoneSql);
  return `SELECT zone, interval_start AS t, lmp::float8 AS v FROM market_prices
           WHERE ${zoneSql} AND market = '${market}' AND ${RANGE}`;
}

/** (zone, t, v) per hour: RT as the mean of the hour, DA and the spread as they are. */
function hourly(market: AnalyticsMarket, zoneSql: string): string {
  return market === "RT" ? rtHourly(zoneSql) : series(market, zoneSql);
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const args = (q: { zone: Iso; from: Date; to: Date }) => [q.zone, q.from, q.to];

/**
 * Each panel's statement in a transaction of its own with JIT off: the planner's row estimates for the
 * lagged and joined rollups run to millions, which makes Postgres compile the query with LLVM first —
 * seconds on a busy machine for a query that then runs in milliseconds.
 */
function noJit(db: () => Database): () => Queryable {
  return () => ({
    query: <T>(sql: string, params?: unknown[]) =>
      db().transaction(async (tx) => {
        if (db().kind === "postgres") await tx.query("SET LOCAL jit = off");
        return await tx.query<T>(sql, params);
      }),
  });
}

/**
 * The spikes' baseline has at most this many values, whose MAD (nearest-rank median of the absolute
 * deviations from their median, services/analytics/stats.ts) the query takes in closed form: sorted
 * v1 ≤ v2 ≤ v3 ≤ v4, two values have median v1 and MAD 0 (deviations 0 and v2 − v1); three or four have
 * median v2 and MAD min(v2 − v1, v3 − v2), the second smallest deviation (0 the smallest, v4 − v2 ≥ v3 − v2).
 * Typed as the literal 4: more lagged weeks fail `deno check` here until the query handles them.
 */
const LAGS: 4 = SPIKE.lagsWeeks;

export function postgresEngine(database: () => Database): MarketEngine {
  const db = noJit(database);
  return {
    name: "postgres",

    async stats(q) {
      // One pass over the values, the sorted array giving the percentiles. The extremes come first from the
      // hourly rollup (RT) or the small hourly series, so the pass only picks the first time at each. OFFSET 0
      // keeps the series a subquery of its own, so each price is converted to float8 once, not once per
      // aggregate that reads it (numeric → float8 goes through text: the pass's largest cost).
      const extremes = q.market === "RT"
        ? `SELECT min(lo) AS lo, max(hi) AS hi FROM (${RT_ROLLUP}) r`
        : `SELECT min(v) AS lo, max(v) AS hi FROM (${series(q.market)}) s`;
      const [r] = await db().query<{
        count: number;
        mean: number | null;
        stddev: number | null;
        negative: number;
        pct: number[] | null;
        min: number | null;
        min_at: Date | null;
        max: number | null;
        max_at: Date | null;
      }>(
        `WITH m AS MATERIALIZED (${extremes})
         SELECT a.n AS count, a.mean, a.sd AS stddev, a.neg AS negative, m.lo AS min, a.min_at, m.hi AS max, a.max_at,
                (SELECT array_agg(a.arr[greatest(1, (k * a.n + 99) / 100)] ORDER BY k)
                   FROM generate_series(0, 100) k WHERE a.n > 0) AS pct
           FROM m, (SELECT count(*)::int AS n, avg(v) AS mean, stddev_pop(v) AS sd,
                           count(*) FILTER (WHERE v < 0)::int AS neg, array_agg(v ORDER BY v) AS arr,
                           min(t) FILTER (WHERE v = (SELECT lo FROM m)) AS min_at,
                           min(t) FILTER (WHERE v = (SELECT hi FROM m)) AS max_at
                      FROM (${series(q.market)} OFFSET 0) s) a`,
        args(q),
      );
      return {
        count: r.count,
        mean: r.count ? r.mean : null,
        stddev: r.count ? r.stddev : null,
        negative: r.negative,
        pct: r.pct ?? [],
        min: r.count ? r.min : null,
        min_at: iso(r.min_at),
        max: r.count ? r.max : null,
        max_at: iso(r.max_at),
      };
    },

    async heatmap(q) {
      const local = (col: string) => `${col} AT TIME ZONE ${tz(q.zone)}`;
      // RT from the hourly rollup: the mean of a cell's intervals is its hours' sums over their counts.
      return await db().query(
        q.market === "RT"
          ? `SELECT extract(isodow FROM ${local("hour")})::int AS dow, extract(hour FROM ${local("hour")})::int AS hour,
                    (sum(lmp_sum) / sum(n))::float8 AS mean, sum(n)::int AS count
               FROM (${RT_ROLLUP}) r GROUP BY 1, 2 ORDER BY 1, 2`
          : `SELECT extract(isodow FROM ${local("t")})::int AS dow, extract(hour FROM ${local("t")})::int AS hour,
                    avg(v) AS mean, count(*)::int AS count
               FROM (${series(q.market)}) s GROUP BY 1, 2 ORDER BY 1, 2`,
        args(q),
      );
    },

    async series(q, bucketS) {
      const bin = (col: string) => `date_bin(${bucketS} * interval '1 second', ${col}, ${EPOCH})`;
      // Buckets of whole hours from the rollup (a year of RT is 8,760 rows, not 105,120).
      const rows = await db().query<{ t: Date; mean: number; min: number; max: number }>(
        q.market === "RT" && bucketS % 3600 === 0
          ? `SELECT ${bin("hour")} AS t, (sum(lmp_sum) / sum(n))::float8 AS mean, min(lo) AS min, max(hi) AS max
               FROM (${RT_ROLLUP}) r GROUP BY 1 ORDER BY 1`
          : `SELECT ${bin("t")} AS t, avg(v) AS mean, min(v) AS min, max(v) AS max
               FROM (${series(q.market)}) s GROUP BY 1 ORDER BY 1`,
        args(q),
      );
      return rows.map((r) => ({ ...r, t: iso(r.t)! }));
    },

    async spreadByHour(q) {
      return await db().query(
        `SELECT extract(hour FROM t AT TIME ZONE ${tz(q.zone)})::int AS hour, avg(v) AS mean, count(*)::int AS count
           FROM (${spreadHourly("zone = $1")}) s GROUP BY 1 ORDER BY 1`,
        args(q),
      );
    },

    async spreadByDay(q) {
      return await db().query(
        `SELECT to_char(t AT TIME ZONE ${tz(q.zone)}, 'YYYY-MM-DD') AS date, count(*)::int AS hours, sum(v) AS spread
           FROM (${spreadHourly("zone = $1")}) s GROUP BY 1 ORDER BY 1`,
        args(q),
      );
    },

    async returnsByDay(q) {
      // Returns of the hourly mean RT price, within each operating day (the rollup is in hour order: no sort).
      return await db().query(
        `SELECT to_char(d, 'YYYY-MM-DD') AS date, count(r)::int AS n, coalesce(sum(r), 0) AS sum,
                coalesce(sum(r * r), 0) AS sumsq
           FROM (SELECT d, CASE WHEN d = lag(d) OVER w THEN v - lag(v) OVER w END AS r
                   FROM (SELECT hour, (hour AT TIME ZONE ${tz(q.zone)})::date AS d, (lmp_sum / n)::float8 AS v
                           FROM (${RT_ROLLUP}) r) p
                 WINDOW w AS (ORDER BY hour)) x
          GROUP BY d ORDER BY d`,
        args(q),
      );
    },

    async spikes(q, threshold) {
      const rows = await db().query<{ total: number; t: Date; price: number; baseline: number; score: number }>(
        `WITH h AS (${rtHourly("zone = $1", `$2::timestamptz - interval '${LAGS * 168} hours'`)}),
              lagged AS (SELECT h.t + k * interval '168 hours' AS t, h.v FROM h, generate_series(1, ${LAGS}) k),
              -- Each hour's lagged values ranked by one sort (not an array sorted per hour): the median is
              -- rank (m + 1) / 2, and the MAD of at most four values has a closed form (see LAGS below).
              ranked AS (SELECT t, v, row_number() OVER (PARTITION BY t ORDER BY v) AS rn,
                                count(*) OVER (PARTITION BY t) AS m
                           FROM lagged WHERE t >= $2::timestamptz AND t < $3::timestamptz),
              b1 AS (SELECT t, m, min(v) FILTER (WHERE rn = (m + 1) / 2) AS med, min(v) FILTER (WHERE rn = 1) AS v1,
                            min(v) FILTER (WHERE rn = 2) AS v2, min(v) FILTER (WHERE rn = 3) AS v3
                       FROM ranked GROUP BY t, m HAVING m >= ${SPIKE.minBaseline}),
              b AS MATERIALIZED (
                SELECT t, med, greatest(${SPIKE.madToSigma} * CASE WHEN m = 2 THEN 0 ELSE least(v2 - v1, v3 - v2) END,
                                        ${SPIKE.scaleFloor}) AS scale FROM b1),
              -- Only hours whose extremes reach the threshold can hold a spike: read their intervals alone.
              c AS MATERIALIZED (SELECT b.* FROM b JOIN (${RT_ROLLUP}) r ON r.hour = b.t
                                  WHERE (r.hi - b.med) / b.scale >= $4 OR (b.med - r.lo) / b.scale >= $4),
              sc AS MATERIALIZED (
                SELECT p.interval_start AS t, p.lmp::float8 AS price, c.med AS baseline,
                       (p.lmp::float8 - c.med) / c.scale AS score
                  FROM c JOIN market_prices p ON p.zone = $1 AND p.market = 'RT'
                   AND p.interval_start >= c.t AND p.interval_start < c.t + interval '1 hour')
         SELECT count(*) OVER ()::int AS total, t, price, baseline, score FROM sc
          WHERE abs(score) >= $4 ORDER BY abs(score) DESC, t LIMIT ${SPIKE.maxListed}`,
        [...args(q), threshold],
      );
      return {
        count: rows[0]?.total ?? 0,
        items: rows.map((r) => ({ t: iso(r.t)!, price: r.price, baseline: r.baseline, score: r.score })),
      };
    },

    async correlation(q) {
      return await db().query(
        `WITH s AS (${hourly(q.market, "zone = ANY($1::text[])")})
         SELECT a.zone AS a, b.zone AS b, corr(a.v, b.v) AS corr, count(*)::int AS n
           FROM s a JOIN s b ON a.t = b.t AND a.zone < b.zone GROUP BY 1, 2 ORDER BY 1, 2`,
        [q.zones, q.from, q.to],
      );
    },
  };
}
