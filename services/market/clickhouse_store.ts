/**
 * Price history in ClickHouse (optional): a copy of market_prices for analytics
 * at scale. Postgres stays the system of record; a relay copies rows to
 * ClickHouse by their ingested_at, so an outage of ClickHouse delays the copy
 * but loses nothing (the relay resumes from its watermark, kept in app_meta).
 *
 * ReplacingMergeTree keyed like the Postgres primary key keeps one row per
 * (zone, market, interval) after merges; reads use FINAL, so a row copied twice
 * (the relay re-sends its boundary) or revised is read once, newest version.
 * The analytics read FINAL only where parts' time spans overlap
 * (services/analytics/clickhouse_parts.ts), which holds only while every insert
 * block is unique per key: each here is one Postgres query's rows (one per key)
 * or a GROUP BY. Tables are partitioned by year so that parts record their span (by month, a
 * year's panel read 12 parts per table, which cost more than FINAL saved).
 *
 * ClickHouse 18.16 (CI here) has no server-side query parameters: every value
 * put into SQL below is an enum member or a date this module formats itself.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import type { Database } from "../../db/database.ts";
import { type HistoryQuery, TICK_COLUMNS } from "./store.ts";
import { MARKETS, type PriceTick } from "./types.ts";
import { ISOS } from "./zones.ts";
import { SPIKE } from "../analytics/stats.ts";
import { log } from "../log/logger.ts";

export const CH_TABLE = "market_prices";
/**
 * The hourly rollup the analytics read (services/analytics/clickhouse.ts): per zone, market and hour the
 * count, sum, min and max of the prices. The relay recomputes every hour a batch touched from the
 * deduplicated rows (FINAL), so a row copied twice or revised never counts twice; a materialised view
 * would add each copy again.
 */
export const CH_HOURLY = "market_prices_hourly";
/**
 * Each RT hour's spike baseline (services/analytics/stats.ts SPIKE): the median and MAD of its hourly means
 * 1 … lagsWeeks weeks before, with the hour's extremes and its intervals (start times and prices), for hours
 * with at least minBaseline of them. Computing the baselines takes a lagged copy of the rollup grouped back
 * per hour, and scoring a year's intervals a join over all of them: together most of a year's market panel
 * on ClickHouse. So the relay keeps them beside the rollup — every hour a batch touched and the lagsWeeks
 * weeks after it (whose baselines read it) recomputed from the deduplicated rows — and a panel reads only
 * the intervals of the hours that can hold a spike.
 */
export const CH_BASELINES = "market_spike_baselines";
const WATERMARK_KEY = "clickhouse_sync_watermark";
/**
 * The relay's horizon: when the oldest transaction still open on this database began, or now when none is
 * (PGlite's one session is the relay's own). Read in a statement before the rows: a transaction that commits
 * between this and the rows' snapshot is in that snapshot, while one read in the same statement could have
 * committed after the snapshot was taken and be gone from pg_stat_activity already. Only sessions this role
 * may see count (its own; others with pg_read_all_stats): the app writes prices as one role.
 */
const HORIZON = `SELECT least(min(xact_start), statement_timestamp())::text AS horizon,
       coalesce(extract(epoch FROM statement_timestamp() - min(xact_start)), 0)::float8 AS waited_s
  FROM pg_stat_activity
 WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
   AND xact_start IS NOT NULL`;
/** A transaction open this long holds the copy back: said in the log (at most this often). */
const STALL_WARN_S = 300;
let stallWarnedAt = 0;
const SYNC_BATCH = 10_000;

export async function ensureClickhouseTable(client: ClickHouseClient): Promise<void> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${CH_TABLE} (
      zone String, market String,
      interval_start DateTime('UTC'), interval_end DateTime('UTC'),
      lmp Float64, energy Float64, congestion Float64, loss Float64,
      source String, version UInt64
    ) ENGINE = ReplacingMergeTree(version) PARTITION BY toYear(interval_start) ORDER BY (zone, market, interval_start)`,
  });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${CH_HOURLY} (
      zone String, market String, hour DateTime('UTC'),
      n_intervals UInt32, lmp_sum Float64, lmp_min Float64, lmp_max Float64, version UInt64
    ) ENGINE = ReplacingMergeTree(version) PARTITION BY toYear(hour) ORDER BY (zone, market, hour)`,
  });
  const exists = await client.query({ query: `EXISTS TABLE ${CH_BASELINES}`, format: "JSONEachRow" });
  if (Number((await exists.json<{ result: number | string }>())[0]?.result)) return;
  // A copy made before the baselines existed gets them once, for all it holds: filled aside and renamed
  // into place, so a fill that fails (a timeout, the server going away) leaves no table, and the next call
  // fills again instead of finding a half-filled one and keeping it.
  const fill = `${CH_BASELINES}_fill`;
  await client.command({ query: `DROP TABLE IF EXISTS ${fill}` });
  await client.command({
    query: `CREATE TABLE ${fill} (
      zone String, hour DateTime('UTC'), baseline Float64, mad Float64, lo Float64, hi Float64,
      starts Array(DateTime('UTC')), prices Array(Float64), version UInt64
    ) ENGINE = ReplacingMergeTree(version) PARTITION BY toYear(hour) ORDER BY (zone, hour)`,
  });
  await client.command({ query: `INSERT INTO ${fill} ${baselineSql("1", null, null, Date.now())}` });
  await client.command({ query: `RENAME TABLE ${fill} TO ${CH_BASELINES}` });
}

const HOUR_MS = 3_600_000;
const WEEK_MS = 168 * HOUR_MS;

/**
 * The rows of CH_BASELINES for the RT hours in [from, to) of the zones matched by `zoneSql` (null: unbounded).
 * One read of the rollup: each hour is copied to itself (k = 0, its extremes) and to the 1 … lagsWeeks weeks
 * after it (its mean, a value of their baselines), then grouped back per hour: the median is the ⌈m/2⌉-th of
 * the sorted values, the MAD the same rank of their absolute deviations. The intervals come from the
 * deduplicated prices (FINAL), so rollup, baselines and intervals agree.
 */
function baselineSql(zoneSql: string, from: Date | null, to: Date | null, version: number): string {
  const lags = Array.from({ length: SPIKE.lagsWeeks + 1 }, (_, k) => k).join(", ");
  const mid = "intDiv(m + 1, 2)";
  const range = (col: string, lead = 0) =>
    (from ? ` AND ${col} >= toDateTime('${chTime(new Date(from.getTime() - lead))}', 'UTC')` : "") +
    (to ? ` AND ${col} < toDateTime('${chTime(to)}', 'UTC')` : "");
  return `SELECT zone, hour, baseline, mad, lo, hi, starts, prices, toUInt64(${version}) FROM (
            SELECT zone, target AS hour, vals[${mid}] AS baseline,
                   arraySort(arrayMap(x -> abs(x - baseline), vals))[${mid}] AS mad, lo, hi
              FROM (
                SELECT zone, target, arraySort(groupArrayIf(v, k > 0)) AS vals, length(vals) AS m,
                       maxIf(lo, k = 0) AS lo, maxIf(hi, k = 0) AS hi
                  FROM (SELECT zone, hour + ${WEEK_MS / 1000} * k AS target, k, v, lo, hi
                          FROM (SELECT zone, hour, lmp_sum / n_intervals AS v, lmp_min AS lo, lmp_max AS hi
                                  FROM ${CH_HOURLY} FINAL
                                 WHERE ${zoneSql} AND market = 'RT'${range("hour", SPIKE.lagsWeeks * WEEK_MS)})
                         ARRAY JOIN [${lags}] AS k)
                 WHERE 1${range("target")}
                 GROUP BY zone, target HAVING countIf(k = 0) = 1 AND m >= ${SPIKE.minBaseline}
              )
          ) ALL INNER JOIN (
            SELECT zone, hour, groupArray(interval_start) AS starts, groupArray(lmp) AS prices
              FROM (SELECT zone, toStartOfHour(interval_start) AS hour, interval_start, lmp FROM ${CH_TABLE} FINAL
                     WHERE ${zoneSql} AND market = 'RT'${range("interval_start")})
             GROUP BY zone, hour
          ) USING (zone, hour)`;
}

/** Recomputes the hourly rollup of every hour the ticks fall in, one statement per zone and market. */
export async function refreshHourly(client: ClickHouseClient, ticks: readonly PriceTick[]): Promise<void> {
  const spans = new Map<string, { zone: string; market: string; from: number; to: number }>();
  for (const t of ticks) {
    const start = Math.floor(Date.parse(t.interval_start) / HOUR_MS) * HOUR_MS;
    const key = `${t.zone}|${t.market}`;
    const s = spans.get(key);
    if (!s) spans.set(key, { zone: t.zone, market: t.market, from: start, to: start + HOUR_MS });
    else s.from = Math.min(s.from, start), s.to = Math.max(s.to, start + HOUR_MS);
  }
  const version = Date.now();
  for (const s of spans.values()) {
    if (!ISOS.includes(s.zone as PriceTick["zone"]) || !MARKETS.includes(s.market as PriceTick["market"])) continue;
    await client.command({
      query: `INSERT INTO ${CH_HOURLY}
        SELECT zone, market, toStartOfHour(interval_start) AS hour, toUInt32(count()), sum(lmp), min(lmp), max(lmp),
               toUInt64(${version})
          FROM ${CH_TABLE} FINAL
         WHERE zone = '${s.zone}' AND market = '${s.market}'
           AND interval_start >= toDateTime('${chTime(new Date(s.from))}', 'UTC')
           AND interval_start < toDateTime('${chTime(new Date(s.to))}', 'UTC')
         GROUP BY zone, market, hour`,
    });
    if (s.market === "RT") {
      await client.command({
        query: `INSERT INTO ${CH_BASELINES}
          ${baselineSql(`zone = '${s.zone}'`, new Date(s.from), new Date(s.to + SPIKE.lagsWeeks * WEEK_MS), version)}`,
      });
    }
  }
}

/**
 * Prices have at most 4 decimals (numeric(12,4) in Postgres). Old ClickHouse parses some
 * decimal texts to a neighbouring double (-1.57 → -1.5699999999999998), so reads round back.
 */
const round4 = (v: number | string) => Math.round(Number(v) * 10_000) / 10_000;

/** `2025-01-01T00:00:00.000Z` → `2025-01-01 00:00:00` (ClickHouse's DateTime text). */
export const chTime = (iso: string | Date) => new Date(iso).toISOString().slice(0, 19).replace("T", " ");
export const isoTime = (ch: string) => ch.replace(" ", "T") + ".000Z";

export async function insertClickhouse(client: ClickHouseClient, ticks: PriceTick[], source: string): Promise<void> {
  if (!ticks.length) return;
  const version = Date.now();
  await client.insert({
    table: CH_TABLE,
    format: "JSONEachRow",
    values: ticks.map((t) => ({
      zone: t.zone,
      market: t.market,
      interval_start: chTime(t.interval_start),
      interval_end: chTime(t.interval_end),
      lmp: t.lmp,
      energy: t.energy,
      congestion: t.congestion,
      loss: t.loss,
      source,
      version,
    })),
  });
}

export async function clickhouseHistory(client: ClickHouseClient, h: HistoryQuery): Promise<PriceTick[]> {
  if (!ISOS.includes(h.zone) || !MARKETS.includes(h.market)) throw new RangeError("unknown zone or market");
  const after = h.after ? ` AND interval_start > toDateTime('${chTime(h.after)}', 'UTC')` : "";
  const rs = await client.query({
    query:
      `SELECT zone, market, toString(interval_start) AS s, toString(interval_end) AS e, lmp, energy, congestion, loss
              FROM ${CH_TABLE} FINAL
             WHERE zone = '${h.zone}' AND market = '${h.market}'
               AND interval_start >= toDateTime('${chTime(h.from)}', 'UTC')
               AND interval_start < toDateTime('${chTime(h.to)}', 'UTC')${after}
             ORDER BY interval_start LIMIT ${Math.floor(h.limit)}`,
    format: "JSONEachRow",
  });
  const rows = await rs.json<
    { zone: PriceTick["zone"]; market: PriceTick["market"]; s: string; e: string } & Record<string, number>
  >();
  return rows.map((r) => ({
    zone: r.zone,
    market: r.market,
    interval_start: isoTime(r.s),
    interval_end: isoTime(r.e),
    lmp: round4(r.lmp),
    energy: round4(r.energy),
    congestion: round4(r.congestion),
    loss: round4(r.loss),
  }));
}

/**
 * Copies rows ingested since the watermark, oldest first, a batch at a time.
 * Returns how many rows it copied; the watermark only moves after ClickHouse
 * accepted a batch.
 */
export async function syncToClickhouse(db: Database, client: ClickHouseClient, maxBatches = 20): Promise<number> {
  let copied = 0;
  for (let i = 0; i < maxBatches; i++) {
    const [mark] = await db.query<{ value: string }>(`SELECT value FROM app_meta WHERE key = $1`, [WATERMARK_KEY]);
    // The watermark is the last copied row's key: many rows share one ingested_at (one statement). Its times
    // go to SQL as text: postgres.js sends a timestamptz parameter through a JS Date, which drops the
    // microseconds (rows copied twice or skipped) and cannot hold "-infinity".
    const from: [string, string, string, string] = mark ? JSON.parse(mark.value) : ["-infinity", "", "", "-infinity"];
    // Only rows older than every transaction still open: a row's ingested_at is its transaction's start, so a
    // transaction that began before rows already copied and commits after them (two ingest writers, a long
    // revision) would land behind the watermark and never be copied. Its rows wait for the next round instead.
    const [{ horizon, waited_s }] = await db.query<{ horizon: string; waited_s: number }>(HORIZON);
    if (waited_s > STALL_WARN_S && Date.now() - stallWarnedAt > STALL_WARN_S * 1000) {
      stallWarnedAt = Date.now();
      log.warn("ClickHouse relay waits for a database transaction open since before its next rows", {
        open_s: Math.round(waited_s),
      });
    }
    const rows = await db.query<PriceTick & { source: string; ingested: string; raw_start: string }>(
      `SELECT ${TICK_COLUMNS}, source, ingested_at::text AS ingested, interval_start::text AS raw_start
         FROM market_prices
        WHERE (ingested_at, zone, market, interval_start) > ($1::text::timestamptz, $2, $3, $4::text::timestamptz)
          AND ingested_at < $6::text::timestamptz
        ORDER BY ingested_at, zone, market, interval_start LIMIT $5`,
      [...from, SYNC_BATCH, horizon],
    );
    if (!rows.length) break;
    const bySource = new Map<string, PriceTick[]>();
    for (const { source, ingested: _i, raw_start: _r, ...t } of rows) {
      const list = bySource.get(source) ?? [];
      list.push(t);
      bySource.set(source, list);
    }
    for (const [source, ticks] of bySource) await insertClickhouse(client, ticks, source);
    await refreshHourly(client, rows);
    const last = rows[rows.length - 1];
    await db.query(
      `INSERT INTO app_meta (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
      [WATERMARK_KEY, JSON.stringify([last.ingested, last.zone, last.market, last.raw_start])],
    );
    copied += rows.length;
    if (rows.length < SYNC_BATCH) break;
  }
  return copied;
}
