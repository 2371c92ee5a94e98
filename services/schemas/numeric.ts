/**
 * Numbers as the database stores them. A `numeric(p, s)` column rounds to `s` decimals and refuses
 * `p - s` integer digits or more, so a schema that allows more than the column lets a value through that
 * is then stored as something else (0.0001 MW becomes 0, breaking `capacity_mw > 0`) or fails with
 * "numeric field overflow". Each column's precision is declared here once, named after the column, and
 * the request schemas take their fields from `COLUMNS`; a unit test compares the declarations with
 * db/migrations/*.sql.
 *
 * Browser-safe (zod only): islands validate with the same schemas.
 */
import { z } from "zod";

export interface NumericType {
  /** Total significant digits (p of numeric(p, s)). */
  precision: number;
  /** Digits after the decimal point (s). */
  scale: number;
}

export interface DecimalBounds {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound (e.g. a CHECK of `> 0`). */
  gt?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** Message when the value is not a number at all. */
  error?: string;
}

/** True when `x` has no more than `scale` decimals, i.e. the column stores it unchanged. */
export function fitsScale(x: number, scale: number): boolean {
  // toFixed rounds the binary value to `scale` decimals; a value the user wrote with at most that many
  // decimals parses back to the same double (0.3 → "0.300" → 0.3), one with more does not (0.0001).
  return Number(x.toFixed(scale)) === x;
}

/**
 * A finite number that a numeric(precision, scale) column stores exactly, within the bounds given (and
 * within the column's range whatever the bounds say).
 */
export function decimal(type: NumericType, bounds: DecimalBounds = {}) {
  const { precision, scale } = type;
  const step = 10 ** -scale;
  const limit = 10 ** (precision - scale) - step; // the largest value the column holds
  const min = Math.max(bounds.min ?? -limit, -limit);
  const max = Math.min(bounds.max ?? limit, limit);
  let schema = z.number(bounds.error ? { error: bounds.error } : undefined).finite().max(max);
  schema = bounds.gt !== undefined && bounds.gt >= min ? schema.gt(bounds.gt) : schema.min(min);
  return schema.refine((x) => fitsScale(x, scale), {
    message: scale === 0 ? "must be a whole number" : `must have at most ${scale} decimal${scale === 1 ? "" : "s"}`,
    params: { code: "too_precise" },
  }).meta({ multipleOf: step });
}

/** The largest value of a Postgres `int` (int4) column, e.g. `bids.version`. */
export const INT4_MAX = 2_147_483_647;

/** A whole number an `int` column stores: past 2^31 − 1 Postgres answers "out of range". */
export function int4(bounds: { min?: number; max?: number } = {}) {
  return z.number().int().min(Math.max(bounds.min ?? -INT4_MAX - 1, -INT4_MAX - 1))
    .max(Math.min(bounds.max ?? INT4_MAX, INT4_MAX));
}

/** `numeric(p, s)` */
export const numeric = (precision: number, scale: number): NumericType => ({ precision, scale });

/**
 * Every numeric column a request writes, as the migrations declare it (table.column). The schemas take
 * their fields from here; tests/unit/numeric_columns_test.ts reads the migrations to keep them equal.
 */
export const COLUMNS = {
  "assets.capacity_mw": numeric(10, 3),
  "assets.energy_mwh": numeric(10, 3),
  "assets.charge_mw": numeric(10, 3),
  "assets.discharge_mw": numeric(10, 3),
  "assets.round_trip_efficiency": numeric(5, 4),
  "assets.min_soc": numeric(5, 4),
  "assets.max_soc": numeric(5, 4),
  "meter_readings.mw": numeric(12, 4),
  /** Segments are jsonb; an award copies a price into bids.clearing_price, numeric(12, 4). */
  "bids.clearing_price": numeric(12, 4),
  /** Segments are jsonb; an award copies quantities into bids.awarded_mw, numeric(12, 4). */
  "bids.awarded_mw": numeric(12, 4),
  "approval_policies.above_mw": numeric(10, 3),
  "approval_policies.above_notional": numeric(14, 2),
  "virtual_settings.credit_limit": numeric(14, 2),
  "virtual_settings.fee_per_mwh": numeric(10, 4),
  "settlement_lines.mw": numeric(14, 4),
  "settlement_lines.price": numeric(12, 4),
  "settlement_lines.amount": numeric(16, 4),
} as const satisfies Record<string, NumericType>;
