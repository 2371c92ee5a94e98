/**
 * The market panels as SQL on Postgres (and PGlite). Parameters: $1 the zone (or zones), $2 from, $3 to,
 * $4 the spike threshold. Hours are absolute (`date_bin` on UTC, offsets in hours, never `interval 'n days'`,
 * which follows the session's time zone); weekdays, hours of day and days are on the zone's market clock.
 *
 * The single-zone panels are built as one statement: each source they share (the zone's hourly RT rollup
 * with its local times, the DA prices, the DA–RT spread, the RT intervals) is a CTE read once, and each
 * panel leaves as one JSON column. `panels` runs it as three statements in parallel; a panel's own method
 * runs it with only that panel.
 */
import type { Database, Queryable } from "../../db/database.ts";
import { type Iso, ZONES } from "../market/zones.ts";
import type { AnalyticsMarket, MarketEngine, PanelQuery, StatsRow, ZonePanels } from "./engine.ts";
import { SPIKE } from "./stats.ts";

const EPOCH = `timestamptz '1970-01-01 00:00:00+00'`;
const range = (a = "") => `${a}interval_start >= $2::timestamptz AND ${a}interval_start < $3::timestamptz`;

/** The zone's IANA name as SQL text: from our own table, never from input. */
function tz(zone: Iso): string {
  return `'${ZONES[zone].timeZone}'`;
}

/** RT prices per hour (mean of its intervals, from the hourly rollup, migration 012) of the zones selected. */
function rtHourly(zoneSql: string): string {
  return `SELECT zone, hour AS t, lmp_sum::float8 / n AS v FROM market_prices_hourly
           WHERE ${zoneSql} AND market = 'RT' AND hour >= $2::timestamptz AND hour < $3::timestamptz`;
}

/** (zone, t, v) per hour: RT as the mean of the hour, DA and the spread (DA minus the hour's RT mean). */
function hourly(market: AnalyticsMarket, zoneSql: string): string {
  if (market === "RT") return rtHourly(zoneSql);
  const da = `SELECT zone, interval_start AS t, ${f8("lmp")} AS v FROM market_prices
               WHERE ${zoneSql} AND market = 'DA' AND ${range()}`;
  if (market === "DA") return da;
  return `SELECT d.zone, d.t, d.v - r.v AS v FROM (${da}) d JOIN (${rtHourly(zoneSql)}) r
              ON r.zone = d.zone AND r.t = d.t`;
}

/**
 * A price (numeric(12,4)) as float8, the same double as `::float8` — that cast goes through text; this one is
 * a scaled integer divided once, which IEEE rounds to the nearest double of the exact decimal, as the text
 * parse does — measured ~13 ms less CPU over a year of one zone's RT intervals. Exact while |price| < 9·10^11.
 */
const f8 = (col: string) => `((${col} * 10000)::int8::float8 / 10000)`;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/**
 * Each statement in a transaction of its own with JIT off: the planner's row estimates for the lagged and
 * joined rollups run to millions, which makes Postgres compile the query with LLVM first — seconds on a
 * busy machine for a query that then runs in milliseconds. Unprepared: a panel's text inlines its zone's time
 * zone and bucket (163 texts for every zone's panels, series and heatmap), and prepared each held ~150 KB of a
 * connection's memory (24 MB for one connection's panels) to save a plan that costs a fraction of the run;
 * planned for the range asked, never with a generic plan's guess of it.
 */
function noJit(db: () => Database): () => Queryable {
  return () => ({
    query: <T>(sql: string, params?: unknown[]) =>
      db().transaction(async (tx) => {
        if (db().kind === "postgres") await tx.query("SET LOCAL jit = off");
        return await tx.query<T>(sql, params, { prepare: false });
      }),
  });
}

/**
 * The spikes' baselines are kept by migration 021 (market_spike_baselines, refreshed by triggers on the
 * hourly rollup) for exactly four lagged weeks: typed as the literal 4, more fail `deno check` here until the
 * migration's closed form handles them.
 */
const _LAGS: 4 = SPIKE.lagsWeeks;
/** The migration's `m >= 2` likewise (ClickHouse reads SPIKE.minBaseline itself). */
const _MIN_BASELINE: 2 = SPIKE.minBaseline;

type Part = keyof ZonePanels;

/** A CTE and the CTEs it reads (earlier in the list). */
interface Cte {
  name: string;
  deps: string[];
  sql: string;
}

/** One panel: the CTEs it reads and the JSON it leaves as. */
interface PanelSql {
  deps: string[];
  json: string;
  /** Reads $4, the spike threshold. */
  threshold?: boolean;
}

const rows = (select: string, order: string) =>
  `SELECT coalesce(json_agg(x ORDER BY ${order}), '[]') FROM (${select}) x`;

/**
 * The statistics of a source `(t, v)`, the extremes first from `extremes` (for RT the hourly rollup, so the
 * pass only picks the first time at each). OFFSET 0 keeps the source a subquery of its own, so each price
 * is converted to float8 once, not once per aggregate that reads it (numeric → float8 goes through text).
 */
function statsCtes(name: string, src: string, extremes: { from: string; lo: string; hi: string }): Cte[] {
  return [
    {
      name: `${name}_m`,
      deps: [extremes.from],
      sql: `SELECT min(${extremes.lo}) AS lo, max(${extremes.hi}) AS hi FROM ${extremes.from}`,
    },
    {
      name,
      deps: [`${name}_m`, src],
      sql: `SELECT a.n AS count, a.mean, a.sd AS stddev, a.neg AS negative, m.lo AS min, a.min_at, m.hi AS max,
                   a.max_at, (SELECT array_agg(a.arr[greatest(1, (k * a.n + 99) / 100)] ORDER BY k)
                                FROM generate_series(0, 100) k WHERE a.n > 0) AS pct
              FROM ${name}_m m,
                   (SELECT count(*)::int AS n, avg(v) AS mean, stddev_pop(v) AS sd,
                           count(*) FILTER (WHERE v < 0)::int AS neg, array_agg(v ORDER BY v) AS arr,
                           min(t) FILTER (WHERE v = (SELECT lo FROM ${name}_m)) AS min_at,
                           min(t) FILTER (WHERE v = (SELECT hi FROM ${name}_m)) AS max_at
                      FROM (SELECT t, v FROM ${src} OFFSET 0) s) a`,
    },
  ];
}

/** Every source and panel of a zone's statement; `parts` picks the panels. */
function statement(q: PanelQuery, bucketS: number, parts: readonly Part[]): { sql: string; threshold: boolean } {
  const zoneTz = tz(q.zone);
  const src = { RT: "rt", DA: "da", SPREAD: "sp" }[q.market];
  const ctes: Cte[] = [
    {
      // The zone's hourly RT rollup in the range, its market clock converted once here for every panel that
      // groups by it.
      name: "rr",
      deps: [],
      sql: `SELECT hour AS t, n, lmp_sum::float8 AS s, lmp_sum::float8 / n AS v, lmp_min::float8 AS lo,
                   lmp_max::float8 AS hi, hour AT TIME ZONE ${zoneTz} AS lt
              FROM market_prices_hourly
             WHERE zone = $1 AND market = 'RT' AND hour >= $2::timestamptz AND hour < $3::timestamptz`,
    },
    {
      name: "da",
      deps: [],
      sql: `SELECT interval_start AS t, ${f8("lmp")} AS v FROM market_prices
             WHERE zone = $1 AND market = 'DA' AND ${range()}`,
    },
    { name: "sp", deps: ["da", "rr"], sql: `SELECT da.t, da.v - rr.v AS v, rr.lt FROM da JOIN rr ON rr.t = da.t` },
    {
      name: "rt",
      deps: [],
      sql: `SELECT interval_start AS t, ${f8("lmp")} AS v FROM market_prices
             WHERE zone = $1 AND market = 'RT' AND ${range()}`,
    },
    ...statsCtes(
      "st",
      src,
      q.market === "RT" ? { from: "rr", lo: "lo", hi: "hi" } : { from: src, lo: "v", hi: "v" },
    ),
    ...statsCtes("sst", "sp", { from: "sp", lo: "v", hi: "v" }),
    {
      // Each hour's baseline (median and MAD of the same hour 1 … 4 weeks before), kept by migration 021.
      name: "sb",
      deps: [],
      sql: `SELECT hour AS t, lo, hi, baseline AS med, greatest(${SPIKE.madToSigma} * mad, ${SPIKE.scaleFloor}) AS scale
              FROM market_spike_baselines
             WHERE zone = $1 AND hour >= $2::timestamptz AND hour < $3::timestamptz`,
    },
    {
      // Only hours whose extremes reach the threshold can hold a spike: their intervals alone are read.
      name: "sc",
      deps: ["sb"],
      sql: `SELECT t, med, scale FROM sb WHERE (hi - med) / scale >= $4::float8 OR (med - lo) / scale >= $4::float8`,
    },
    {
      name: "spk",
      deps: ["sc"],
      sql: `SELECT p.interval_start AS t, ${f8("p.lmp")} AS price, c.med AS baseline,
                   (${f8("p.lmp")} - c.med) / c.scale AS score
              FROM sc c JOIN market_prices p ON p.zone = $1 AND p.market = 'RT'
               AND p.interval_start >= c.t AND p.interval_start < c.t + interval '1 hour'`,
    },
  ];
  const cell = (lt: string) => `extract(isodow FROM ${lt})::int AS dow, extract(hour FROM ${lt})::int AS hour`;
  const bin = (col: string) => `date_bin(${bucketS} * interval '1 second', ${col}, ${EPOCH})`;
  const panels: Record<Part, PanelSql> = {
    stats: { deps: ["st"], json: `SELECT row_to_json(st) FROM st` },
    spreadStats: { deps: ["sst"], json: `SELECT row_to_json(sst) FROM sst` },
    heatmap: q.market === "RT"
      // The mean of a cell's intervals is its hours' sums over their counts.
      ? {
        deps: ["rr"],
        json: rows(
          `SELECT ${cell("lt")}, sum(s) / sum(n) AS mean, sum(n)::int AS count FROM rr GROUP BY 1, 2`,
          "dow, hour",
        ),
      }
      : {
        deps: [src],
        json: rows(
          `SELECT ${cell("lt")}, avg(v) AS mean, count(*)::int AS count
             FROM (SELECT ${q.market === "SPREAD" ? "lt" : `t AT TIME ZONE ${zoneTz} AS lt`}, v FROM ${src}) s
            GROUP BY 1, 2`,
          "dow, hour",
        ),
      },
    // Buckets of whole hours from the rollup (a year of RT is 8,760 rows, not 105,120).
    series: q.market === "RT" && bucketS % 3600 === 0
      ? {
        deps: ["rr"],
        json: rows(
          `SELECT ${bin("t")} AS t, sum(s) / sum(n) AS mean, min(lo) AS min, max(hi) AS max FROM rr GROUP BY 1`,
          "t",
        ),
      }
      : {
        deps: [src],
        json: rows(`SELECT ${bin("t")} AS t, avg(v) AS mean, min(v) AS min, max(v) AS max FROM ${src} GROUP BY 1`, "t"),
      },
    byHour: {
      deps: ["sp"],
      json: rows(
        `SELECT extract(hour FROM lt)::int AS hour, avg(v) AS mean, count(*)::int AS count FROM sp GROUP BY 1`,
        "hour",
      ),
    },
    byDay: {
      deps: ["sp"],
      json: rows(
        `SELECT to_char(d, 'YYYY-MM-DD') AS date, count(*)::int AS hours, sum(v) AS spread
           FROM (SELECT lt::date AS d, v FROM sp) s GROUP BY d`,
        "date",
      ),
    },
    // Returns of the hourly mean RT price, within each operating day.
    returns: {
      deps: ["rr"],
      json: rows(
        `SELECT to_char(d, 'YYYY-MM-DD') AS date, count(r)::int AS n, coalesce(sum(r), 0) AS sum,
                coalesce(sum(r * r), 0) AS sumsq
           FROM (SELECT lt::date AS d, CASE WHEN lt::date = lag(lt::date) OVER w THEN v - lag(v) OVER w END AS r
                   FROM rr WINDOW w AS (ORDER BY t)) x
          GROUP BY d`,
        "date",
      ),
    },
    spikes: {
      deps: ["spk"],
      threshold: true,
      json: `SELECT json_build_object(
                'count', (SELECT count(*) FROM spk WHERE abs(score) >= $4::float8),
                'items', (${
        rows(
          `SELECT t, price, baseline, score FROM spk WHERE abs(score) >= $4::float8
            ORDER BY abs(score) DESC, t LIMIT ${SPIKE.maxListed}`,
          "abs(x.score) DESC, x.t",
        )
      }))`,
    },
  };
  // The CTEs the chosen panels read, transitively, in their order in the list.
  const byName = new Map(ctes.map((c) => [c.name, c]));
  const needed = new Set<string>();
  const need = (name: string) => {
    if (needed.has(name)) return;
    needed.add(name);
    for (const d of byName.get(name)!.deps) need(d);
  };
  for (const p of parts) for (const d of panels[p].deps) need(d);
  // Sources read by more than one panel are computed once (MATERIALIZED); the others are inlined.
  const shared = new Set(["rr", "da", "sp", "st_m", "sst_m", "sb", "sc", "spk"]);
  const withs = ctes.filter((c) => needed.has(c.name))
    .map((c) => `${c.name} AS ${shared.has(c.name) ? "MATERIALIZED " : ""}(${c.sql})`);
  return {
    sql: `WITH ${withs.join(",\n")}\nSELECT ${parts.map((p) => `(${panels[p].json}) AS "${p}"`).join(",\n")}`,
    threshold: parts.some((p) => panels[p].threshold),
  };
}

interface StatsJson extends Omit<StatsRow, "pct" | "min_at" | "max_at"> {
  pct: number[] | null;
  min_at: string | null;
  max_at: string | null;
}

function statsOf(r: StatsJson): StatsRow {
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
}

const ALL_PARTS: Part[] = ["stats", "heatmap", "series", "spreadStats", "byHour", "byDay", "returns", "spikes"];

export function postgresEngine(database: () => Database): MarketEngine {
  const db = noJit(database);

  async function run<P extends Part>(
    q: PanelQuery,
    parts: readonly P[],
    opts: { bucketS?: number; threshold?: number } = {},
  ): Promise<Pick<ZonePanels, P>> {
    const { sql, threshold } = statement(q, opts.bucketS ?? 3600, parts);
    const [row] = await db().query<Record<Part, unknown>>(
      sql,
      threshold ? [q.zone, q.from, q.to, opts.threshold] : [q.zone, q.from, q.to],
    );
    const out: Record<string, unknown> = {};
    for (const p of parts as readonly Part[]) {
      // PGlite and postgres.js both parse json; a driver that hands back text is parsed here.
      const v = typeof row[p] === "string" ? JSON.parse(row[p] as string) : row[p];
      if (p === "stats" || p === "spreadStats") out[p] = statsOf(v as StatsJson);
      else if (p === "series") {
        out.series = (v as { t: string; mean: number; min: number; max: number }[]).map((r) => ({
          ...r,
          t: iso(r.t)!,
        }));
      } else if (p === "spikes") {
        const s = v as { count: number; items: { t: string; price: number; baseline: number; score: number }[] };
        out.spikes = { count: s.count, items: s.items.map((r) => ({ ...r, t: iso(r.t)! })) };
      } else out[p] = v;
    }
    return out as Pick<ZonePanels, P>;
  }

  // The panels that do not depend on the market read as if it were RT (the spread's own sources).
  const zoneOnly = (q: Omit<PanelQuery, "market">): PanelQuery => ({ ...q, market: "RT" });

  return {
    name: "postgres",

    async panels(q, bucketS, threshold) {
      // Three statements in parallel, on as many connections: the statistics (for RT a sort of every interval
      // in the range), the spikes, and the other panels. Each is about a third of the work, so a second core
      // shortens the panel: on two busy cores one statement for all took ~1.3× the wall time of this split, which
      // costs a few % more CPU (the rollup is read by two of the statements).
      const [own, spikes, rest] = await Promise.all([
        run(q, ["stats"]),
        run(q, ["spikes"], { threshold }),
        run(q, ALL_PARTS.filter((p) => p !== "stats" && p !== "spikes"), { bucketS }),
      ]);
      return { ...own, ...spikes, ...rest };
    },
    stats: async (q) => (await run(q, ["stats"])).stats,
    heatmap: async (q) => (await run(q, ["heatmap"])).heatmap,
    series: async (q, bucketS) => (await run(q, ["series"], { bucketS })).series,
    returnsByDay: async (q) => (await run(zoneOnly(q), ["returns"])).returns,
    spikes: async (q, threshold) => (await run(zoneOnly(q), ["spikes"], { threshold })).spikes,

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
