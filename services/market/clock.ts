/**
 * Wall-clock arithmetic in IANA time zones with nothing but `Intl` (no Temporal, no library).
 *
 * Markets settle on local operating days whose length changes with daylight saving time (23 or 25
 * hours), so every "local time → instant" conversion goes through the zone's real UTC offset at that
 * instant rather than a fixed one. US offsets change only on whole UTC hours, which lets callers cache
 * an offset per UTC hour.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** The wall clock of an instant in a time zone. `weekday`: 0 = Sunday … 6 = Saturday. */
interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // hourCycle h23: "en-US" would otherwise print midnight as 24 in some engines.
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * Offsets by zone and 15-minute UTC slot. `formatToParts` costs microseconds and a bid's validation asks
 * for a handful of offsets, which made it the largest cost of a submission. Every offset and every
 * transition of the modern tz database is a multiple of 15 minutes, so an offset read anywhere in a slot
 * holds for all of it.
 */
const SLOT_MS = 900_000;
const offsets = new Map<string, number>();

/**
 * `compute()` for `key`, kept in `memo` (emptied at 50,000 keys: the zones and days asked of a running app are
 * far fewer). Only what was computed is kept: a refused input throws before it could be.
 */
function remembered(memo: Map<string, number>, key: string, compute: () => number): number {
  let value = memo.get(key);
  if (value === undefined) {
    value = compute();
    if (memo.size >= 50_000) memo.clear();
    memo.set(key, value);
  }
  return value;
}

/** The zone's offset from UTC at `instant`, in ms (e.g. −4 h = −14,400,000 for EDT). */
export function tzOffsetMs(timeZone: string, instant: number): number {
  return remembered(
    offsets,
    `${timeZone}|${Math.floor(instant / SLOT_MS)}`,
    () => tzOffsetUncachedMs(timeZone, instant),
  );
}

/** The same, read from Intl every time (what the cache holds; tests compare the two). */
export function tzOffsetUncachedMs(timeZone: string, instant: number): number {
  const parts = formatter(timeZone).formatToParts(new Date(instant));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"));
  // Intl drops milliseconds; compare against the instant truncated the same way.
  return wall - (instant - (((instant % 1000) + 1000) % 1000));
}

/** Year, month, day, hour, minute and weekday of `instant` on the zone's wall clock. */
function localParts(timeZone: string, instant: number): LocalParts {
  const d = new Date(instant + tzOffsetMs(timeZone, instant));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    weekday: d.getUTCDay(),
  };
}

/** "YYYY-MM-DD" of `instant` on the zone's wall clock. */
export function localDate(timeZone: string, instant: number): string {
  const p = localParts(timeZone, instant);
  return formatDate(p.year, p.month, p.day);
}

export function formatDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** Parses a calendar date "YYYY-MM-DD" (a real one: 2025-02-30 is refused) into its UTC-midnight ms. */
export function parseDate(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== date) throw new RangeError(`no such date: ${date}`);
  return ms;
}

/** The calendar date `days` after (or before, if negative) `date`. */
export function addDays(date: string, days: number): string {
  return new Date(parseDate(date) + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The instant at which the zone's wall clock shows `time` ("HH:MM") on `date`.
 *
 * Two passes of "guess the offset, re-read it at the result" settle every time that exists. A time in
 * the spring-forward gap (02:30 on a US DST start day) does not exist; it resolves to the instant one
 * hour later on the wall clock, as most calendar software does. Market times used here (midnight,
 * 05:00–14:00) never fall in a gap; in the autumn overlap (01:30 twice) the first occurrence is taken.
 */
export function zonedTimeToUtc(timeZone: string, date: string, time = "00:00"): Date {
  const key = timeZone + "|" + date + "|" + time;
  return new Date(remembered(instants, key, () => zonedTimeToUtcUncached(timeZone, date, time)));
}

/**
 * Instants by zone, date and time: a bid's validation and its notices ask for the same gates and day
 * bounds again and again (parsing, and three offset lookups each, were ~2 % of a submission's time).
 */
const instants = new Map<string, number>();

/** The same, worked out every time (what the memo holds; tests compare the two). */
export function zonedTimeToUtcUncached(timeZone: string, date: string, time = "00:00"): number {
  const t = TIME_RE.exec(time);
  if (!t) throw new RangeError(`not a time (HH:MM): ${JSON.stringify(time)}`);
  const wall = parseDate(date) + Number(t[1]) * HOUR_MS + Number(t[2]) * 60_000;
  // Start from the offset a few hours before, so an ambiguous wall time picks its first (earlier) instant.
  let guess = wall - tzOffsetMs(timeZone, wall - 3 * HOUR_MS);
  for (let i = 0; i < 2; i++) {
    const next = wall - tzOffsetMs(timeZone, guess);
    if (next === guess) break;
    guess = next;
  }
  return guess;
}

/** [start, end) of the local calendar day `date` in the zone, as UTC ms: 23, 24 or 25 hours long. */
export function localDayBounds(timeZone: string, date: string): [number, number] {
  return [zonedTimeToUtc(timeZone, date).getTime(), zonedTimeToUtc(timeZone, addDays(date, 1)).getTime()];
}
