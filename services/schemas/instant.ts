/**
 * An instant a request may carry to the database. The driver sends a Date as `toISOString()`, which writes
 * years before 1 AD as "0000-…" or "-000001-…" and after 9999 as "+010000-…"; Postgres refuses those, so an
 * ISO-8601 string zod accepts could still end as a 500. Every request schema that takes an instant uses this.
 *
 * Browser-safe (zod only).
 */
import { z } from "zod";

const MIN_INSTANT = Date.parse("0001-01-01T00:00:00Z");
const MAX_INSTANT = Date.parse("9999-12-31T23:59:59.999Z");

/** ISO-8601 with an offset, between 0001-01-01 and 9999-12-31 UTC. */
export function instant(error?: string) {
  return z.iso.datetime({ offset: true, ...(error ? { error } : {}) }).refine((s) => {
    const t = Date.parse(s);
    return t >= MIN_INSTANT && t <= MAX_INSTANT;
  }, { error: "must be between 0001-01-01 and 9999-12-31 (UTC)" });
}
