/**
 * Market time: how a trader reads and types a time. Every market time is on the zone's own clock with the
 * clock named (PJM, NYISO, ISO-NE: Eastern prevailing; MISO: EST all year; ERCOT, SPP: Central; CAISO:
 * Pacific), hourly intervals as hour-ending labels (HE1–HE24) and 5-minute ones as interval-ending times.
 *
 * Hour-ending labels follow the ISOs' convention: the wall-clock hour at which the interval ends, on the clock
 * in force when it starts (midnight = 24). So the spring DST day has no HE3 (02:00–03:00 does not exist:
 * 23 hours) and the autumn one has HE2 twice, the second written "HE2*" (25 hours).
 *
 * Pure and browser-safe (islands import it): nothing but `Intl` through clock.ts. UTC belongs to the API
 * and CSV only (`isoUtc`); the user's own zone (`/settings`) serves times with no market (`formatUserTime`).
 * Tested in tests/unit/market_time_test.ts.
 */
import { localDayBounds, parseDate, tzOffsetMs, zonedTimeToUtc } from "./clock.ts";
import { type Iso, ISOS, ZONES } from "./zones.ts";

const HOUR_MS = 3_600_000;

// ---------------------------------------------------------------------------------------------------
// The clock of a zone

/** A market clock: its name and the abbreviations it is written with in standard and daylight time. */
export interface MarketClock {
  /** "Eastern prevailing time", "Eastern standard time (all year)"… */
  name: string;
  /** "EPT", "EST", "CPT", "PPT": the clock as the ISOs name it. */
  short: string;
  std: string;
  dst: string;
  /** Standard-time offset from UTC, hours (−5 Eastern). */
  stdOffsetHours: number;
}

const EASTERN: MarketClock = {
  name: "Eastern prevailing time",
  short: "EPT",
  std: "EST",
  dst: "EDT",
  stdOffsetHours: -5,
};
const CENTRAL: MarketClock = {
  name: "Central prevailing time",
  short: "CPT",
  std: "CST",
  dst: "CDT",
  stdOffsetHours: -6,
};
const PACIFIC: MarketClock = {
  name: "Pacific prevailing time",
  short: "PPT",
  std: "PST",
  dst: "PDT",
  stdOffsetHours: -8,
};
// MISO's operating day is on EST all year (zones.ts): the abbreviation never changes.
const EST_ALL_YEAR: MarketClock = {
  name: "Eastern standard time (all year)",
  short: "EST",
  std: "EST",
  dst: "EST",
  stdOffsetHours: -5,
};

const CLOCKS: Readonly<Record<Iso, MarketClock>> = {
  PJM: EASTERN,
  NYISO: EASTERN,
  ISONE: EASTERN,
  MISO: EST_ALL_YEAR,
  ERCOT: CENTRAL,
  SPP: CENTRAL,
  CAISO: PACIFIC,
};

export function marketClock(zone: Iso): MarketClock {
  return CLOCKS[zone];
}

function ms(instant: Date | number | string): number {
  const t = typeof instant === "number"
    ? instant
    : typeof instant === "string"
    ? Date.parse(instant)
    : instant.getTime();
  if (!Number.isFinite(t)) throw new RangeError(`not a valid instant: ${String(instant)}`);
  return t;
}

/** "EDT" or "EST" (PJM), "CST" (ERCOT in winter), always "EST" for MISO: the zone's clock at `instant`. */
export function clockAbbrev(zone: Iso, instant: Date | number | string): string {
  const c = CLOCKS[zone];
  const offset = tzOffsetMs(ZONES[zone].timeZone, ms(instant));
  return offset === c.stdOffsetHours * HOUR_MS ? c.std : c.dst;
}

/** The zone's wall clock at `instant`, as the pieces a label needs. */
function wall(zone: Iso, t: number): { date: string; hh: number; mm: number } {
  const d = new Date(t + tzOffsetMs(ZONES[zone].timeZone, t));
  return { date: d.toISOString().slice(0, 10), hh: d.getUTCHours(), mm: d.getUTCMinutes() };
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** True when the wall time of `t` was already shown an hour earlier (the second pass of the autumn hour). */
function isRepeat(zone: Iso, t: number): boolean {
  const tz = ZONES[zone].timeZone;
  return tzOffsetMs(tz, t - HOUR_MS) > tzOffsetMs(tz, t);
}

/** "2025-11-02 01:30 EST" on the zone's clock (24-hour), its clock named. */
export function formatMarketTime(zone: Iso, instant: Date | number | string): string {
  const t = ms(instant);
  const w = wall(zone, t);
  return `${w.date} ${pad2(w.hh)}:${pad2(w.mm)} ${clockAbbrev(zone, t)}`;
}

/** "14:05" on the zone's clock, for tight spaces (axes); the caller names the clock nearby. */
export function formatMarketClock(zone: Iso, instant: Date | number | string): string {
  const w = wall(zone, ms(instant));
  return `${pad2(w.hh)}:${pad2(w.mm)}`;
}

// ---------------------------------------------------------------------------------------------------
// Hour ending

/** One hour of an operating day. */
export interface MarketHour {
  /** Operating day, "YYYY-MM-DD" on the zone's clock. */
  date: string;
  /** Hour ending on the wall clock, 1–24 (the spring day has no 2; the autumn one has 2 twice). */
  he: number;
  /** The second HE2 of the autumn day. */
  repeated: boolean;
  /** "HE17", "HE2*". */
  label: string;
  /** Position in the day, 0-based (0–22, 0–23 or 0–24). */
  index: number;
  start: Date;
  end: Date;
}

function heLabel(he: number, repeated: boolean): string {
  return `HE${he}${repeated ? "*" : ""}`;
}

/**
 * The hour-ending of the hour starting at `startMs`: its wall start hour + 1, on the clock in force at its
 * start. The hour skipped in spring (02:00–03:00) is HE3; the autumn hour shown twice (01:00–02:00) is HE2,
 * its second pass "HE2*".
 */
function hourEndingOf(zone: Iso, startMs: number): { date: string; he: number; repeated: boolean } {
  const w = wall(zone, startMs);
  return { date: w.date, he: w.hh + 1, repeated: isRepeat(zone, startMs) };
}

/** The hours of the zone's operating day `date`: 24, or 23 / 25 on DST change days (not for MISO). */
export function operatingDayHours(zone: Iso, date: string): MarketHour[] {
  const [start, end] = localDayBounds(ZONES[zone].timeZone, date);
  const hours: MarketHour[] = [];
  for (let t = start, index = 0; t < end; t += HOUR_MS, index++) {
    const { he, repeated } = hourEndingOf(zone, t);
    hours.push({
      date,
      he,
      repeated,
      label: heLabel(he, repeated),
      index,
      start: new Date(t),
      end: new Date(t + HOUR_MS),
    });
  }
  return hours;
}

/** The operating hour containing `instant` (its date, HE and label). */
export function marketHour(zone: Iso, instant: Date | number | string): MarketHour {
  const t = ms(instant);
  const start = Math.floor(t / HOUR_MS) * HOUR_MS; // US offsets are whole hours: UTC hours are market hours
  const { date, he, repeated } = hourEndingOf(zone, start);
  const [dayStart] = localDayBounds(ZONES[zone].timeZone, date);
  return {
    date,
    he,
    repeated,
    label: heLabel(he, repeated),
    index: Math.round((start - dayStart) / HOUR_MS),
    start: new Date(start),
    end: new Date(start + HOUR_MS),
  };
}

/** "HE17" for the hour starting at `start`. */
export function hourEndingLabel(zone: Iso, start: Date | number | string): string {
  return marketHour(zone, start).label;
}

/**
 * Reads an hour-ending a trader typed for the operating day `date`: "HE17", "he 17", "17", "HE2*", "2*".
 * Null when that hour does not exist that day (HE2 on the spring day, HE2* on any day but the autumn one,
 * HE25) or the text is not an hour-ending.
 */
export function parseHourEnding(zone: Iso, date: string, text: string): MarketHour | null {
  const m = /^\s*(?:he\s*)?(\d{1,2})\s*(\*?)\s*$/i.exec(text);
  if (!m) return null;
  const he = Number(m[1]);
  const repeated = m[2] === "*";
  return operatingDayHours(zone, date).find((h) => h.he === he && h.repeated === repeated) ?? null;
}

// ---------------------------------------------------------------------------------------------------
// Intervals

/**
 * "IE 14:05" for a sub-hourly interval: the wall time at which it ends on the clock in force at its start
 * ("IE 24:00" for the last of the day; a "*" for the second pass of the repeated autumn hour).
 */
export function intervalEndingLabel(zone: Iso, start: Date | number | string, end: Date | number | string): string {
  const s = ms(start);
  const w = wall(zone, s);
  const minutes = w.hh * 60 + w.mm + Math.round((ms(end) - s) / 60_000);
  return `IE ${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}${isRepeat(zone, s) ? "*" : ""}`;
}

/**
 * An interval as a trader reads it, clock named:
 * hourly → "2025-03-09 HE17 EDT"; sub-hourly → "2025-03-09 IE 14:05 EDT" (operating day of the interval).
 */
export function formatMarketInterval(
  zone: Iso,
  start: Date | number | string,
  end: Date | number | string,
): string {
  const s = ms(start);
  const e = ms(end);
  if (e - s >= HOUR_MS) {
    const h = marketHour(zone, s);
    return `${h.date} ${h.label} ${clockAbbrev(zone, s)}`;
  }
  return `${wall(zone, s).date} ${intervalEndingLabel(zone, s, e)} ${clockAbbrev(zone, s)}`;
}

/**
 * Reads "YYYY-MM-DD HH:MM" (or "YYYY-MM-DDTHH:MM") typed on the zone's clock into the instant it names.
 * Null when malformed or the wall time does not exist (the spring gap); in the autumn overlap the first
 * occurrence is taken (type the hour-ending "HE2*" for the second).
 */
export function parseMarketTime(zone: Iso, text: string): Date | null {
  const m = /^\s*(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2})\s*$/.exec(text);
  if (!m) return null;
  try {
    parseDate(m[1]);
  } catch {
    return null;
  }
  if (Number(m[2]) > 23 || Number(m[3]) > 59) return null;
  const d = zonedTimeToUtc(ZONES[zone].timeZone, m[1], `${m[2]}:${m[3]}`);
  const back = wall(zone, d.getTime());
  return back.date === m[1] && back.hh === Number(m[2]) && back.mm === Number(m[3]) ? d : null;
}

/** [start, end) of the zone's operating day, as instants. */
export function operatingDayRange(zone: Iso, date: string): { start: Date; end: Date } {
  const [s, e] = localDayBounds(ZONES[zone].timeZone, date);
  return { start: new Date(s), end: new Date(e) };
}

/**
 * On-peak hours of the operating day (HE8–HE23, the Eastern ISOs' 5×16 block; weekends and NERC holidays are
 * left to the caller). Used to copy one hour to the peak or off-peak hours.
 */
export function isPeakHour(h: Pick<MarketHour, "he">): boolean {
  return h.he >= 8 && h.he <= 23;
}

// ---------------------------------------------------------------------------------------------------
// Times with no market, and the wire

const userFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * "2026-01-05 09:14 EST" in the user's own time zone (from `/settings`; any IANA zone): for history,
 * audit, logs — times no market clock applies to. An unknown zone falls back to UTC.
 */
export function formatUserTime(timeZone: string | undefined | null, instant: Date | number | string): string {
  const t = ms(instant);
  const tz = timeZone || "UTC";
  let f = userFormatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-US", { timeZone: tz, timeZoneName: "short", hour: "numeric" });
    } catch {
      return formatUserTime("UTC", t);
    }
    userFormatters.set(tz, f);
  }
  const name = f.formatToParts(new Date(t)).find((p) => p.type === "timeZoneName")?.value ?? tz;
  const d = new Date(t + tzOffsetMs(tz, t));
  const date = d.toISOString().slice(0, 10);
  return `${date} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())} ${name}`;
}

/** ISO 8601 with an explicit offset, UTC: the API's and CSV's form ("2025-03-09T07:00:00Z"). */
export function isoUtc(instant: Date | number | string): string {
  return new Date(ms(instant)).toISOString().replace(/\.000Z$/, "Z");
}

// ---------------------------------------------------------------------------------------------------
// Zone names as people write them

const CANONICAL: ReadonlySet<string> = new Set(ISOS);

function squash(s: string): string {
  return s.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]/g, "");
}

const ALIASES: Readonly<Record<string, Iso>> = (() => {
  // No prototype: "constructor" or "__proto__" is no zone.
  const out: Record<string, Iso> = Object.create(null);
  const add = (iso: Iso, ...names: string[]) => names.forEach((n) => out[squash(n)] = iso);
  for (const iso of ISOS) add(iso, iso, ZONES[iso].name);
  add("ISONE", "ISO-NE", "ISO NE", "ISO New England", "New England", "NEISO", "NE-ISO");
  add("NYISO", "NY-ISO", "New York", "New York ISO", "New York Independent System Operator");
  add("CAISO", "CA-ISO", "California", "California ISO", "CISO", "California Independent System Operator");
  add("ERCOT", "Texas", "Electric Reliability Council of Texas");
  add("MISO", "Midcontinent", "Midcontinent ISO", "Midwest ISO", "Midcontinent Independent System Operator");
  add("SPP", "Southwest Power Pool");
  add("PJM", "PJM Interconnection", "PJM RTO");
  return out;
})();

/**
 * The zone a name means ("ISO-NE", "isone", "ISO New England", "ercot", "New York ISO", "CAISO"…), or null.
 * Case, spaces, dashes and underscores do not matter.
 */
export function resolveZone(text: string | null | undefined): Iso | null {
  if (!text) return null;
  // The canonical spelling, as every link writes it: no decoding and normalising per page view.
  if (CANONICAL.has(text)) return text as Iso;
  let s = text;
  try {
    s = decodeURIComponent(text);
  } catch { /* keep as typed */ }
  return ALIASES[squash(s)] ?? null;
}

/** The canonical spelling of a zone in URLs and labels ("ISONE"); display names live in `ZONES`. */
export function zoneLabel(zone: Iso): string {
  return zone === "ISONE" ? "ISO-NE" : zone;
}

/** Interval length of a market in minutes: 60 for DA, the zone's RT interval otherwise. */
export function intervalMinutes(zone: Iso, market: "DA" | "RT"): number {
  return market === "DA" ? 60 : ZONES[zone].rtIntervalMinutes;
}
