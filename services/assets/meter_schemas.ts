/** Meter readings: what the API accepts and returns. The rules that need the asset are in meter_store.ts. */
import { z } from "zod";
import { instant } from "../schemas/instant.ts";
import { COLUMNS, decimal } from "../schemas/numeric.ts";
import { pageQuery } from "../pagination.ts";

export const MAX_READINGS = 2_000;
/** Every zone's RT interval is 5 minutes (services/bids/schema.ts): a reading on that grid maps onto it. */
const READING_STEP_MINUTES = 5;
/**
 * Meters report 5-, 15- or 60-minute values. A longer reading would spread one number over several DA
 * hours; the bound also keeps the overlap look-ups to a one-hour window.
 */
export const MAX_READING_MINUTES = 60;
/** A GET reads at most this span: a week of 5-minute readings is 2,016 rows, one response. */
export const MAX_RANGE_DAYS = 7;

const MINUTE = 60_000;
const instantOf = (what: string) => instant(`must be an ISO-8601 date-time (${what}), e.g. 2025-07-01T14:05:00Z`);

const readingInput = z.strictObject({
  interval_start: instantOf("the start of the metered interval"),
  interval_end: instantOf("its end"),
  /** Average net injection over the interval: + generation/discharge, − consumption/charge. */
  mw: decimal(COLUMNS["meter_readings.mw"], { error: "must be a finite number of MW (+ injection, − consumption)" }),
}).superRefine((r, ctx) => {
  const start = Date.parse(r.interval_start);
  const end = Date.parse(r.interval_end);
  const step = READING_STEP_MINUTES * MINUTE;
  if (start % step !== 0) {
    ctx.addIssue({
      code: "custom",
      path: ["interval_start"],
      message: `${r.interval_start} is not on a ${READING_STEP_MINUTES}-minute boundary`,
    });
  }
  if (end % step !== 0) {
    ctx.addIssue({
      code: "custom",
      path: ["interval_end"],
      message: `${r.interval_end} is not on a ${READING_STEP_MINUTES}-minute boundary`,
    });
  }
  if (end <= start) {
    ctx.addIssue({ code: "custom", path: ["interval_end"], message: "must be after interval_start" });
  } else if (end - start > MAX_READING_MINUTES * MINUTE) {
    ctx.addIssue({
      code: "custom",
      path: ["interval_end"],
      message: `must be at most ${MAX_READING_MINUTES} minutes after interval_start`,
    });
  }
  // A reading is a measurement: an interval that has not ended yet has none.
  if (end > Date.now()) {
    ctx.addIssue({ code: "custom", path: ["interval_end"], message: "is in the future; meter a past interval" });
  }
}, { when: (payload) => payload.issues.length === 0 }).meta({ id: "MeterReadingInput" });
export type ReadingInput = z.infer<typeof readingInput>;

export const readingsBody = z.strictObject({
  readings: z.array(readingInput).min(1).max(MAX_READINGS),
}).superRefine((b, ctx) => {
  // Sorted by start, each reading may only touch the next one: an overlap would make "the actual of an
  // interval" ambiguous, and a repeated start would leave which value wins to the order of the list.
  const order = b.readings.map((r, i) => ({ i, start: Date.parse(r.interval_start), end: Date.parse(r.interval_end) }))
    .sort((x, y) => x.start - y.start || x.i - y.i);
  for (let k = 1; k < order.length; k++) {
    const prev = order[k - 1], cur = order[k];
    if (cur.start < prev.end) {
      ctx.addIssue({
        code: "custom",
        path: ["readings", Math.max(prev.i, cur.i), "interval_start"],
        message: cur.start === prev.start
          ? `repeats the interval_start of readings.${Math.min(prev.i, cur.i)}`
          : `overlaps readings.${Math.min(prev.i, cur.i)}`,
      });
    }
  }
}, { when: (payload) => payload.issues.length === 0 });

/** A read or delete range: `to` after `from`, at most MAX_RANGE_DAYS later. */
function checkRange(from: number, to: number, ctx: z.RefinementCtx) {
  if (to <= from) ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
  else if (to - from > MAX_RANGE_DAYS * 86_400_000) {
    ctx.addIssue({ code: "custom", path: ["to"], message: `must be at most ${MAX_RANGE_DAYS} days after from` });
  }
}

export const readingsQuery = z.strictObject({
  from: instant().optional().describe("Interval starts from (inclusive); default `to` − 1 day"),
  to: instant().optional().describe("Interval starts before (exclusive); default now"),
  ...pageQuery({ defaultLimit: 1000, maxLimit: 10_000 }).shape,
}).superRefine((q, ctx) => {
  const to = q.to ? Date.parse(q.to) : Date.now();
  checkRange(q.from ? Date.parse(q.from) : to - 86_400_000, to, ctx);
}, { when: (payload) => payload.issues.length === 0 });

/** What DELETE removes: both ends required (no default range for a deletion). */
export const readingsDeleteQuery = z.strictObject({
  from: instant().describe("Interval starts from (inclusive)"),
  to: instant().describe("Interval starts before (exclusive)"),
}).superRefine((q, ctx) => checkRange(Date.parse(q.from), Date.parse(q.to), ctx), {
  when: (payload) => payload.issues.length === 0,
});

export const readingSchema = z.object({
  interval_start: z.string(),
  interval_end: z.string(),
  mw: z.number(),
  recorded_at: z.string(),
  recorded_by: z.uuid().nullable(),
}).meta({ id: "MeterReading" });
export type ReadingView = z.infer<typeof readingSchema>;
