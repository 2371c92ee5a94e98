/**
 * The import form of the settlements page: a statement period given as the zone's operating days (as a
 * trader reads a bill: "July, PJM"), turned into the instants the import takes.
 */
import { z } from "zod";
import { localDayBounds } from "../market/clock.ts";
import { ISOS, ZONES } from "../market/zones.ts";
import { FORMATS } from "./formats.ts";
import type { ImportInput } from "./actions.ts";

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date, YYYY-MM-DD").refine(
  (d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
  "no such date",
);

export const importForm = z.object({
  zone: z.enum(ISOS),
  format: z.enum(FORMATS),
  first_day: day,
  last_day: day,
}).refine((f) => f.last_day >= f.first_day, { path: ["last_day"], message: "must not be before the first day" });

/** The period [first day's start, the day after the last day's start) on the zone's market clock. */
export function importInputOf(f: z.infer<typeof importForm>, filename: string | null): ImportInput {
  const tz = ZONES[f.zone].timeZone;
  return {
    zone: f.zone,
    format: f.format,
    from: new Date(localDayBounds(tz, f.first_day)[0]).toISOString(),
    to: new Date(localDayBounds(tz, f.last_day)[1]).toISOString(),
    filename: filename?.slice(0, 200) || undefined,
  };
}
