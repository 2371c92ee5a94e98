/**
 * The model works on days of 24 hour slots (as the benchmark's data set, services/forecast/features.ts); an
 * operating day on a DST clock has 23 or 25 hours. Slot h is local clock hour h: the spring day has no 02:00
 * (its slot is interpolated from 01:00 and 03:00), the autumn day has 01:00 twice (its slot is their mean).
 * Back from slots, every interval takes the slot of its local hour, so both autumn 01:00 hours get slot 1.
 */
import { localDayBounds, tzOffsetMs } from "../market/clock.ts";

const HOUR = 3_600_000;
export const SLOTS = 24;

/** Start instants (UTC ms) of the hourly intervals of operating day `date`: 23, 24 or 25 of them. */
export function dayHours(timeZone: string, date: string): number[] {
  const [start, end] = localDayBounds(timeZone, date);
  const out: number[] = [];
  for (let t = start; t < end; t += HOUR) out.push(t);
  return out;
}

/** The local clock hour (0–23) an interval starting at `start` is labelled with. */
export function localHourOf(timeZone: string, start: number): number {
  const local = start + tzOffsetMs(timeZone, start);
  return Math.floor((((local % 86_400_000) + 86_400_000) % 86_400_000) / HOUR);
}

/**
 * 24 slots from hourly values of one day (`starts[i]` the interval start of `values[i]`). Hours the day lacks
 * are interpolated from their neighbours; an hour present twice is averaged. NaN where a slot cannot be filled.
 */
export function toSlots(timeZone: string, starts: readonly number[], values: readonly number[]): Float64Array {
  const sum = new Float64Array(SLOTS), n = new Int32Array(SLOTS);
  for (let i = 0; i < starts.length; i++) {
    const h = localHourOf(timeZone, starts[i]);
    sum[h] += values[i];
    n[h]++;
  }
  const out = new Float64Array(SLOTS).fill(NaN);
  for (let h = 0; h < SLOTS; h++) if (n[h]) out[h] = sum[h] / n[h];
  for (let h = 0; h < SLOTS; h++) {
    if (n[h]) continue;
    const before = h > 0 && n[h - 1] ? out[h - 1] : NaN;
    const after = h < SLOTS - 1 && n[h + 1] ? out[h + 1] : NaN;
    if (!Number.isNaN(before) && !Number.isNaN(after)) out[h] = (before + after) / 2;
    else out[h] = Number.isNaN(before) ? after : before;
  }
  return out;
}

/** The value of each interval of the day, read from its local hour's slot. */
export function fromSlots(timeZone: string, starts: readonly number[], slots: ArrayLike<number>): number[] {
  if (slots.length !== SLOTS) throw new RangeError(`expected ${SLOTS} slots, got ${slots.length}`);
  return starts.map((t) => slots[localHourOf(timeZone, t)]);
}
