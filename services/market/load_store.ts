/**
 * market_load: hourly system load per zone (actual and day-ahead forecast, MW). Written by the simulator and
 * the replay beside their prices, read by the forecast job. Writes are upserts that never erase a known value
 * with a missing one: the forecast of an hour arrives a day before its actual.
 */
import type { Queryable } from "../../db/database.ts";
import { isoUtc, pgArray } from "../../db/sql.ts";
import type { LoadPoint } from "./types.ts";
import type { Iso } from "./zones.ts";

export type { LoadPoint };

const CHUNK = 5000;

export async function writeLoad(q: Queryable, points: readonly LoadPoint[], source: string): Promise<number> {
  const unique = new Map<string, LoadPoint>();
  for (const p of points) {
    const key = `${p.zone}|${p.interval_start}`;
    const prev = unique.get(key);
    unique.set(key, {
      ...p,
      actual_mw: p.actual_mw ?? prev?.actual_mw ?? null,
      forecast_mw: p.forecast_mw ?? prev?.forecast_mw ?? null,
    });
  }
  const rows = [...unique.values()];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    await q.query(
      `INSERT INTO market_load (zone, interval_start, interval_end, actual_mw, forecast_mw, source)
       SELECT z, s, e, a, f, $6
         FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::numeric[], $5::numeric[]) AS t(z, s, e, a, f)
       ON CONFLICT (zone, interval_start) DO UPDATE
         SET interval_end = excluded.interval_end,
             actual_mw = coalesce(excluded.actual_mw, market_load.actual_mw),
             forecast_mw = coalesce(excluded.forecast_mw, market_load.forecast_mw),
             source = excluded.source, ingested_at = now()`,
      [
        pgArray(chunk.map((p) => p.zone)),
        pgArray(chunk.map((p) => p.interval_start)),
        pgArray(chunk.map((p) => p.interval_end)),
        pgArray(chunk.map((p) => p.actual_mw ?? null)),
        pgArray(chunk.map((p) => p.forecast_mw ?? null)),
        source,
      ],
    );
  }
  return rows.length;
}

export interface LoadRow {
  interval_start: string;
  interval_end: string;
  actual_mw: number | null;
  forecast_mw: number | null;
}

/** Load of a zone with interval_start in [from, to), oldest first. */
export async function loadRange(q: Queryable, zone: Iso, from: Date, to: Date): Promise<LoadRow[]> {
  return await q.query<LoadRow>(
    `SELECT ${isoUtc("interval_start")} AS interval_start, ${isoUtc("interval_end")} AS interval_end,
            actual_mw::float8 AS actual_mw, forecast_mw::float8 AS forecast_mw
       FROM market_load WHERE zone = $1 AND interval_start >= $2 AND interval_start < $3
      ORDER BY interval_start`,
    [zone, from, to],
  );
}
