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

const COPY_SPECIAL = /[\\\t\n\r]/;
const copyEscape = (s: string) =>
  s.replace(/[\\\t\n\r]/g, (c) => c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r");

/**
 * Rows as `COPY … FROM STDIN` text: a line per row, fields by tab, `\`, tab and line breaks escaped, so any
 * text is safe. `fixed` values end every line. Numbers must be finite (as in `pgArray`).
 */
export function copyText<T>(
  rows: readonly T[],
  fields: readonly ((row: T) => string | number)[],
  fixed: readonly (string | number)[] = [],
): string {
  const field = (v: string | number) => {
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
      return String(v);
    }
    return COPY_SPECIAL.test(v) ? copyEscape(v) : v;
  };
  const tail = fixed.length ? "\t" + fixed.map(field).join("\t") + "\n" : "\n";
  let out = "";
  for (const r of rows) {
    let line = "";
    for (let i = 0; i < fields.length; i++) line += (i ? "\t" : "") + field(fields[i](r));
    out += line + tail;
  }
  return out;
}
