/**
 * Forecasts written straight into the tables (db/migrations/008_forecasts_models.sql), as the live job
 * stores them: a model version, one run for a zone's operating day, its hourly rows.
 */
import type { Queryable } from "../../db/database.ts";
import { addDays, localDayBounds } from "../../services/market/clock.ts";
import { type Iso, operatingDate, ZONES } from "../../services/market/zones.ts";

/** The model version `name` v`version`, created when missing; its id. */
export async function modelVersion(db: Queryable, name: string, version = 1): Promise<string> {
  const [row] = await db.query<{ id: string }>(
    `INSERT INTO models (name, version, params, stage) VALUES ($1, $2, '{}'::jsonb, 'production')
     ON CONFLICT (name, version) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [name, version],
  );
  return row.id;
}

export interface RunHour {
  start: number;
  p10: number | null;
  p50: number;
  p90: number | null;
}

/** The hour starts (epoch ms) of `zone`'s operating day `date`: 23, 24 or 25 of them. */
export function operatingHours(zone: Iso, date: string): number[] {
  const [from, to] = localDayBounds(ZONES[zone].timeZone, date);
  const out: number[] = [];
  for (let t = from; t < to; t += 3_600_000) out.push(t);
  return out;
}

/** The zone's next operating day (tomorrow on its market clock). */
export function tomorrowOf(zone: Iso, now = new Date()): string {
  return addDays(operatingDate(zone, now), 1);
}

/** One stored run and its hours; the run's id. */
export async function insertRun(db: Queryable, run: {
  zone: Iso;
  deliveryDate: string;
  modelId: string;
  madeAt: Date;
  hours: RunHour[];
}): Promise<string> {
  const [r] = await db.query<{ id: string }>(
    `INSERT INTO forecast_runs (zone, market, delivery_date, model_id, made_at, data_until, uses_load)
     VALUES ($1, 'DA', $2, $3, $4, $4, false) RETURNING id`,
    [run.zone, run.deliveryDate, run.modelId, run.madeAt],
  );
  for (const h of run.hours) {
    await db.query(
      `INSERT INTO price_forecasts (run_id, interval_start, interval_end, p10, p50, p90) VALUES ($1, $2, $3, $4, $5, $6)`,
      [r.id, new Date(h.start), new Date(h.start + 3_600_000), h.p10, h.p50, h.p90],
    );
  }
  return r.id;
}

/** A day of hours shaped like prices (a morning and an evening peak) with a band ± `spread`. */
export function dayShape(starts: number[], base = 40, spread = 8): RunHour[] {
  return starts.map((start, i) => {
    const p50 = Math.round((base + 12 * Math.sin((i - 6) / 24 * 2 * Math.PI) + (i >= 17 && i <= 20 ? 15 : 0)) * 100) /
      100;
    return { start, p10: Math.round((p50 - spread) * 100) / 100, p50, p90: Math.round((p50 + spread) * 100) / 100 };
  });
}

/** DA prices of `zone` written as the market feed stores them. */
export async function insertDaPrices(db: Queryable, zone: Iso, prices: { start: number; lmp: number }[]) {
  for (const p of prices) {
    await db.query(
      `INSERT INTO market_prices (zone, market, interval_start, interval_end, lmp, energy, congestion, loss, source)
       VALUES ($1, 'DA', $2, $3, $4, $4, 0, 0, 'test')`,
      [zone, new Date(p.start), new Date(p.start + 3_600_000), p.lmp],
    );
  }
}
