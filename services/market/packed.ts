/**
 * The compact form of a tick batch on the ingest bus (version 2): columns instead of one object per price,
 * the zone once, the market as a code, times as millisecond offsets, location names once per batch.
 *
 * Why: a KV queue value is at most 64 KiB, and as objects with ISO strings a batch held 250 ticks, so an
 * ingest was thousands of messages, each paying an enqueue, a claim, a hash and a schema check of every
 * field of every tick (the check alone was most of the consumer's CPU). In columns a message holds 900
 * ticks and its check is a pass over arrays of numbers. Version 1 batches (objects) are still read, so
 * messages queued before an upgrade are not lost; the publisher sends version 1 only for times a millisecond
 * offset cannot carry exactly (sub-millisecond digits, another spelling than `toISOString`'s).
 */
import { z } from "zod";
import {
  type LocationPrice,
  type Market,
  MARKETS,
  type PriceTick,
  TICK_BATCH_VERSION,
  type TickBatch,
  tickBatchSchema,
} from "./types.ts";
import { type Iso, ISOS } from "./zones.ts";

const PACKED_BATCH_VERSION = 2;

/** Rows of one batch at most, as in version 1. */
const MAX_ROWS = 5000;

const numbers = z.array(z.number()).max(MAX_ROWS);
const packedBatchSchema = z.strictObject({
  v: z.literal(PACKED_BATCH_VERSION),
  source: z.string().min(1).max(64),
  zone: z.enum(ISOS),
  /** Epoch milliseconds: every `s` below is an offset from it, every `d` an interval's length. */
  t0: z.number().int(),
  ticks: z.strictObject({
    m: numbers,
    s: numbers,
    d: numbers,
    lmp: numbers,
    energy: numbers,
    congestion: numbers,
    loss: numbers,
  }).optional(),
  locations: z.strictObject({
    names: z.array(z.string().min(1).max(64)).max(MAX_ROWS),
    at: numbers,
    m: numbers,
    s: numbers,
    d: numbers,
    lmp: numbers,
  }).optional(),
});
export type PackedBatch = z.infer<typeof packedBatchSchema>;

/**
 * How much one message may hold. On the KV queue values are V8-serialised: a number costs at most 9 bytes
 * (a tag and a double) and a string 2 bytes a character and a few more, so 900 rows of 7 numbers (56.7 KB)
 * or of 6 numbers with up to 3,000 characters of new location names (≤ 54.6 KB) stay under 64 KiB with room
 * for the envelope, whatever the values. Kafka takes JSON up to its 1 MB default. A version-1 batch (the
 * fallback for times a millisecond offset cannot spell) spells every field of every row: `v1Rows` of them.
 */
export interface PackLimits {
  rows: number;
  nameChars: number;
  v1Rows: number;
}
export const PACK_LIMITS: Record<"kafka" | "kv", PackLimits> = {
  kv: { rows: 900, nameChars: 3_000, v1Rows: 250 },
  kafka: { rows: 2_000, nameChars: 20_000, v1Rows: 2_000 },
};

/** A version-1 batch per `size` rows of `rows`: what cannot be packed, in messages the queue still takes. */
function v1Batches<T>(rows: readonly T[], size: number, batch: (part: T[]) => TickBatch): TickBatch[] {
  const out: TickBatch[] = [];
  for (let i = 0; i < rows.length; i += size) out.push(batch(rows.slice(i, i + size)));
  return out;
}

const marketCode = (m: Market) => m === "DA" ? 0 : 1;

/**
 * An ISO time as epoch ms, or null unless it is spelled exactly as `toISOString` spells that ms
 * (`YYYY-MM-DDTHH:MM:SS.sssZ`, fields in range): only then does the offset give back the very same string.
 * Checked by hand: `toISOString` to compare was most of the cost of packing.
 */
function exactMs(iso: string): number | null {
  if (iso.length !== 24) return null;
  for (let i = 0; i < 24; i++) {
    const c = iso.charCodeAt(i);
    const want = SHAPE.charCodeAt(i);
    if (want === 100 /* d */ ? c < 48 || c > 57 : c !== want) return null;
  }
  const n = (from: number, to: number) => {
    let v = 0;
    for (let i = from; i < to; i++) v = v * 10 + iso.charCodeAt(i) - 48;
    return v;
  };
  const year = n(0, 4), month = n(5, 7), day = n(8, 10);
  if (month < 1 || month > 12 || day < 1 || n(11, 13) > 23 || n(14, 16) > 59 || n(17, 19) > 59) return null;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month - 1])) return null;
  return Date.parse(iso);
}
const SHAPE = "dddd-dd-ddTdd:dd:dd.dddZ";
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Epoch ms as `toISOString` spells them (years 0000–9999), the date part computed once per day: calling
 * `toISOString` for every time was most of the cost of unpacking.
 */
function isoFormatter(): (ms: number) => string {
  const days = new Map<number, string>();
  return (ms) => {
    const day = Math.floor(ms / 86_400_000);
    let date = days.get(day);
    if (date === undefined) days.set(day, date = new Date(day * 86_400_000).toISOString().slice(0, 11));
    let t = ms - day * 86_400_000;
    const h = Math.floor(t / 3_600_000);
    t -= h * 3_600_000;
    const m = Math.floor(t / 60_000);
    t -= m * 60_000;
    const s = Math.floor(t / 1000);
    const milli = t - s * 1000;
    return `${date}${TWO[h]}:${TWO[m]}:${TWO[s]}.${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
  };
}
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));

/** One zone's ticks and location prices as bus batches: version 2 where exact, else version 1. */
export function packBatches(
  zone: Iso,
  source: string,
  ticks: readonly PriceTick[],
  locations: readonly LocationPrice[],
  limits: PackLimits,
): (PackedBatch | TickBatch)[] {
  const out: (PackedBatch | TickBatch)[] = [];
  for (let i = 0; i < ticks.length; i += limits.rows) {
    const chunk = ticks.slice(i, i + limits.rows);
    const packed = packTicks(zone, source, chunk);
    if (packed) out.push(packed);
    else out.push(...v1Batches(chunk, limits.v1Rows, (part) => ({ v: TICK_BATCH_VERSION, source, ticks: part })));
  }
  let i = 0;
  while (i < locations.length) {
    // Cut where the rows or the new names' characters reach the limit (names count once per batch).
    const names = new Set<string>();
    let chars = 0;
    let j = i;
    for (; j < locations.length && j - i < limits.rows; j++) {
      const name = locations[j].location;
      if (!names.has(name)) {
        if (chars + name.length > limits.nameChars && j > i) break;
        names.add(name);
        chars += name.length;
      }
    }
    const chunk = locations.slice(i, j);
    const packed = packLocations(zone, source, chunk);
    if (packed) out.push(packed);
    else {
      out.push(
        ...v1Batches(chunk, limits.v1Rows, (part) => ({ v: TICK_BATCH_VERSION, source, ticks: [], locations: part })),
      );
    }
    i = j;
  }
  return out;
}

/**
 * The rows' times as offsets from the earliest start (`t0`) and durations, and their market codes: what ticks
 * and location prices pack alike. Null when one cannot be packed (a time a millisecond cannot spell, or
 * another zone's row).
 */
function packTimes(
  zone: Iso,
  rows: readonly Pick<PriceTick, "zone" | "market" | "interval_start" | "interval_end">[],
): { t0: number; s: number[]; d: number[]; m: number[] } | null {
  const n = rows.length;
  const s = new Array<number>(n), d = new Array<number>(n), m = new Array<number>(n);
  let t0 = Infinity;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    const start = exactMs(r.interval_start), end = exactMs(r.interval_end);
    if (start === null || end === null || r.zone !== zone) return null;
    if (start < t0) t0 = start;
    s[i] = start;
    d[i] = end - start;
    m[i] = marketCode(r.market);
  }
  for (let i = 0; i < n; i++) s[i] -= t0;
  return { t0, s, d, m };
}

function packTicks(zone: Iso, source: string, ticks: readonly PriceTick[]): PackedBatch | null {
  const times = packTimes(zone, ticks);
  if (!times) return null;
  const { t0, ...cols } = times;
  return {
    v: PACKED_BATCH_VERSION,
    source,
    zone,
    t0,
    ticks: {
      ...cols,
      lmp: ticks.map((t) => t.lmp),
      energy: ticks.map((t) => t.energy),
      congestion: ticks.map((t) => t.congestion),
      loss: ticks.map((t) => t.loss),
    },
  };
}

function packLocations(zone: Iso, source: string, rows: readonly LocationPrice[]): PackedBatch | null {
  const times = packTimes(zone, rows);
  if (!times) return null;
  const { t0, ...cols } = times;
  const names: string[] = [];
  const index = new Map<string, number>();
  const at = rows.map((p) => {
    let k = index.get(p.location);
    if (k === undefined) index.set(p.location, k = names.push(p.location) - 1);
    return k;
  });
  return { v: PACKED_BATCH_VERSION, source, zone, t0, locations: { names, at, ...cols, lmp: rows.map((p) => p.lmp) } };
}

/** Years 0000–9999: the times an ISO string of version 1 can spell. */
const MIN_MS = Date.parse("0000-01-01T00:00:00.000Z");
const MAX_MS = Date.parse("9999-12-31T23:59:59.999Z");

/** Reads a batch off the bus, either version, checked as strictly as version 1's schema. */
export function readTickBatch(payload: unknown): { batch: TickBatch } | { error: string } {
  if ((payload as { v?: unknown } | null)?.v !== PACKED_BATCH_VERSION) {
    const r = tickBatchSchema.safeParse(payload);
    return r.success ? { batch: r.data } : { error: r.error.message };
  }
  const r = packedBatchSchema.safeParse(payload);
  if (!r.success) return { error: r.error.message };
  try {
    return { batch: unpack(r.data) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function unpack(p: PackedBatch): TickBatch {
  const iso = isoFormatter();
  const time = (offset: number) => {
    const ms = p.t0 + offset;
    if (!Number.isInteger(offset) || ms < MIN_MS || ms > MAX_MS) throw new RangeError(`time out of range: ${offset}`);
    return iso(ms);
  };
  const market = (code: number): Market => {
    if (code !== 0 && code !== 1) throw new RangeError(`unknown market code ${code}`);
    return MARKETS[code];
  };
  const rows = (cols: Record<string, number[] | string[]>) => {
    const lengths = new Set(Object.entries(cols).filter(([k]) => k !== "names").map(([, v]) => v.length));
    if (lengths.size !== 1) throw new RangeError("columns of different lengths");
    return [...lengths][0];
  };
  const ticks: PriceTick[] = [];
  if (p.ticks) {
    const c = p.ticks;
    const n = rows(c);
    for (let i = 0; i < n; i++) {
      const start = time(c.s[i]);
      ticks.push({
        zone: p.zone,
        market: market(c.m[i]),
        interval_start: start,
        interval_end: time(c.s[i] + c.d[i]),
        lmp: c.lmp[i],
        energy: c.energy[i],
        congestion: c.congestion[i],
        loss: c.loss[i],
      });
    }
  }
  const locations: LocationPrice[] = [];
  if (p.locations) {
    const c = p.locations;
    const n = rows(c);
    for (let i = 0; i < n; i++) {
      const location = c.names[c.at[i]];
      if (!Number.isInteger(c.at[i]) || location === undefined) throw new RangeError(`unknown location ${c.at[i]}`);
      locations.push({
        zone: p.zone,
        location,
        market: market(c.m[i]),
        interval_start: time(c.s[i]),
        interval_end: time(c.s[i] + c.d[i]),
        lmp: c.lmp[i],
      });
    }
  }
  if (!ticks.length && !locations.length) throw new RangeError("a batch carries at least one price");
  return { v: TICK_BATCH_VERSION, source: p.source, ticks, ...(p.locations ? { locations } : {}) };
}
