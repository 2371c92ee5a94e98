/** SQL fragments shared by the stores. */

/** A timestamptz column as an ISO-8601 UTC string (`2025-01-01T00:00:00.000Z`), the API's time format. */
export const isoUtc = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A Postgres array literal (`{"a","b"}`) for a parameter cast to an array type. postgres.js serialises an
 * array parameter element by element, and for the price writes that was the largest CPU cost of an ingest;
 * one string per column is a fraction of it. Every element is quoted and escaped, so any text is safe;
 * null becomes NULL.
 */
export function pgArray(values: readonly (string | number | null)[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i) out += ",";
    if (v === null) out += "NULL";
    else if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
      out += String(v);
    } else out += `"${v.replace(/["\\]/g, "\\$&")}"`;
  }
  return out + "}";
}
