/**
 * forecast_runs, price_forecasts and forecast_backcasts: the vintaged writes of the live job and the reads the
 * forecasts API answers from. A run and its hours are written together and never updated.
 */
import type { Queryable } from "../../db/database.ts";
import { isoUtc, pgArray } from "../../db/sql.ts";
import type { Iso } from "../market/zones.ts";
import type { ForecastItem } from "./schema.ts";

export interface RunHour {
  interval_start: number;
  interval_end: number;
  p10: number | null;
  p50: number;
  p90: number | null;
}

export interface NewRun {
  zone: Iso;
  deliveryDate: string;
  modelId: string;
  madeAt: Date;
  dataUntil: Date;
  usesLoad: boolean;
  hours: RunHour[];
}

const round4 = (x: number | null) => (x === null ? null : Math.round(x * 1e4) / 1e4);

/** Inserts a run and its hours (call it inside a transaction: both or neither). Returns the run id. */
export async function insertRun(q: Queryable, run: NewRun): Promise<string> {
  const [{ id }] = await q.query<{ id: string }>(
    `INSERT INTO forecast_runs (zone, market, delivery_date, model_id, made_at, data_until, uses_load)
     VALUES ($1, 'DA', $2, $3, $4, $5, $6) RETURNING id::text AS id`,
    [run.zone, run.deliveryDate, run.modelId, run.madeAt, run.dataUntil, run.usesLoad],
  );
  await q.query(
    `INSERT INTO price_forecasts (run_id, interval_start, interval_end, p10, p50, p90)
     SELECT $1, s, e, p10, p50, p90
       FROM unnest($2::timestamptz[], $3::timestamptz[], $4::numeric[], $5::numeric[], $6::numeric[])
         AS t(s, e, p10, p50, p90)`,
    [
      id,
      pgArray(run.hours.map((h) => new Date(h.interval_start).toISOString())),
      pgArray(run.hours.map((h) => new Date(h.interval_end).toISOString())),
      pgArray(run.hours.map((h) => round4(h.p10))),
      pgArray(run.hours.map((h) => round4(h.p50)!)),
      pgArray(run.hours.map((h) => round4(h.p90))),
    ],
  );
  return id;
}

/** Whether the zone already has a run of this model for the day made before `before`. */
export async function hasRun(q: Queryable, zone: Iso, deliveryDate: string, modelId: string, before: Date) {
  const rows = await q.query(
    `SELECT 1 FROM forecast_runs
      WHERE zone = $1 AND market = 'DA' AND delivery_date = $2 AND model_id = $3 AND made_at < $4 LIMIT 1`,
    [zone, deliveryDate, modelId, before],
  );
  return rows.length > 0;
}

const ITEM_COLUMNS = `${isoUtc("pf.interval_start")} AS interval_start, ${isoUtc("pf.interval_end")} AS interval_end,
  to_char(r.delivery_date, 'YYYY-MM-DD') AS delivery_date,
  pf.p10::float8 AS p10, pf.p50::float8 AS p50, pf.p90::float8 AS p90,
  ${isoUtc("r.made_at")} AS made_at, r.id::text AS run_id,
  json_build_object('id', m.id::text, 'name', m.name, 'version', m.version) AS model`;

/**
 * For each delivery interval in [from, to), the forecast of the latest run made at or before `asOf`. Runs
 * are looked up by delivery date (indexed) with a day's margin each side, since a day's hours and the UTC
 * range need not line up.
 */
export async function forecastsAsOf(
  q: Queryable,
  zone: Iso,
  from: Date,
  to: Date,
  asOf: Date,
): Promise<ForecastItem[]> {
  return await q.query<ForecastItem>(
    `SELECT DISTINCT ON (pf.interval_start) ${ITEM_COLUMNS}
       FROM forecast_runs r
       JOIN price_forecasts pf ON pf.run_id = r.id
       JOIN models m ON m.id = r.model_id
      WHERE r.zone = $1 AND r.market = 'DA' AND r.made_at <= $4
        AND r.delivery_date BETWEEN ($2::timestamptz - interval '2 days')::date
                                AND ($3::timestamptz + interval '2 days')::date
        AND pf.interval_start >= $2 AND pf.interval_start < $3
      ORDER BY pf.interval_start, r.made_at DESC, r.id DESC`,
    [zone, from, to, asOf],
  );
}

/** Per delivery date, the hours of the latest run made strictly before that date's gate. */
export async function runsBeforeGates(
  q: Queryable,
  zone: Iso,
  gates: readonly { date: string; gate: Date }[],
): Promise<ForecastItem[]> {
  if (!gates.length) return [];
  return await q.query<ForecastItem>(
    `WITH chosen AS (
       SELECT DISTINCT ON (r.delivery_date) r.id
         FROM forecast_runs r
         JOIN unnest($2::date[], $3::timestamptz[]) AS g(d, gate) ON r.delivery_date = g.d AND r.made_at < g.gate
        WHERE r.zone = $1 AND r.market = 'DA'
        ORDER BY r.delivery_date, r.made_at DESC, r.id DESC)
     SELECT ${ITEM_COLUMNS}
       FROM chosen c JOIN forecast_runs r ON r.id = c.id
       JOIN price_forecasts pf ON pf.run_id = r.id
       JOIN models m ON m.id = r.model_id
      ORDER BY pf.interval_start`,
    [zone, pgArray(gates.map((g) => g.date)), pgArray(gates.map((g) => g.gate.toISOString()))],
  );
}

export interface PricePoint {
  start: number;
  lmp: number;
}

/** DA prices of a zone with interval_start in [from, to), oldest first (epoch ms). */
export async function daPrices(q: Queryable, zone: Iso, from: Date, to: Date): Promise<PricePoint[]> {
  return await q.query<PricePoint>(
    `SELECT (extract(epoch FROM interval_start) * 1000)::float8 AS start, lmp::float8 AS lmp
       FROM market_prices WHERE zone = $1 AND market = 'DA' AND interval_start >= $2 AND interval_start < $3
      ORDER BY interval_start`,
    [zone, from, to],
  );
}

/** The latest DA interval start of a zone (epoch ms), or null. */
export async function latestDaStart(q: Queryable, zone: Iso): Promise<number | null> {
  const [r] = await q.query<{ t: number | null }>(
    `SELECT (extract(epoch FROM max(interval_start)) * 1000)::float8 AS t FROM market_prices
      WHERE zone = $1 AND market = 'DA'`,
    [zone],
  );
  return r?.t ?? null;
}

export interface Backcast {
  date: string;
  point: number[];
}

export async function readBackcasts(
  q: Queryable,
  zone: Iso,
  modelId: string,
  fromDate: string,
  toDate: string,
): Promise<Backcast[]> {
  return await q.query<Backcast>(
    `SELECT to_char(delivery_date, 'YYYY-MM-DD') AS date, point FROM forecast_backcasts
      WHERE zone = $1 AND model_id = $2 AND delivery_date >= $3 AND delivery_date <= $4 ORDER BY delivery_date`,
    [zone, modelId, fromDate, toDate],
  );
}

/** Keeps the first point forecast of a day (the earliest one is the one made before its gate). */
export async function writeBackcasts(
  q: Queryable,
  zone: Iso,
  modelId: string,
  rows: readonly Backcast[],
  madeAt: Date,
): Promise<void> {
  for (const r of rows) {
    await q.query(
      `INSERT INTO forecast_backcasts (zone, model_id, delivery_date, point, made_at)
       VALUES ($1, $2, $3, $4::float8[], $5) ON CONFLICT DO NOTHING`,
      [zone, modelId, r.date, pgArray(r.point), madeAt],
    );
  }
}
