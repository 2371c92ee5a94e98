/**
 * Clearing throughput: 1,000,000 segments (100,000 bids × 10 segments) against a price map, in one
 * process, no I/O. Target: under 1 s. Three shapes of the same work:
 *  - `clearBids` on bids in database order (zone, market, interval_start — the bids_clearing index), as
 *    the clearing job fetches them;
 *  - `clearBids` on the same bids shuffled: the same work in an order that defeats the CPU caches;
 *  - `clearColumns` on the same segments in typed arrays (backtests).
 * Each is run once to warm up, then 5 times; the median is reported.
 */
import { clearBids, clearColumns, type ClearingBid, priceKey, type SegmentColumns } from "../services/bids/clearing.ts";
import type { Market } from "../services/market/types.ts";
import { type Iso, ISOS } from "../services/market/zones.ts";
import { fmt, median, report } from "./lib.ts";

const BIDS = Number(Deno.env.get("BENCH_CLEARING_BIDS") ?? 100_000);
const SEGMENTS = 10;
const RUNS = 5;
const HOUR = 3_600_000;

/** Deterministic (mulberry32): every run clears the same book. */
function rng(seed: number) {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function book() {
  const rand = rng(831);
  const t0 = Date.parse("2025-07-01T04:00:00Z");
  // 7 zones × 2 markets × 24 hours (RT: the first 5-minute interval of each hour) = 336 priced intervals.
  const intervals: { zone: Iso; market: Market; start: string }[] = [];
  for (const zone of ISOS) {
    for (const market of ["DA", "RT"] as const) {
      for (let h = 0; h < 24; h++) intervals.push({ zone, market, start: new Date(t0 + h * HOUR).toISOString() });
    }
  }
  const prices = new Map<string, number>();
  for (const iv of intervals) prices.set(priceKey(iv.zone, iv.market, iv.start), Math.round(rand() * 120 - 10));
  const bids: ClearingBid[] = [];
  for (let i = 0; i < BIDS; i++) {
    const iv = intervals[Math.floor((i * intervals.length) / BIDS)]; // grouped by interval
    const side = rand() < 0.7 ? "offer" as const : "bid" as const;
    let p = side === "offer" ? -20 + rand() * 20 : 150 - rand() * 20;
    const segments = [];
    for (let k = 0; k < SEGMENTS; k++) {
      segments.push({ price: Math.round(p * 100) / 100, quantity: 0.5 + Math.round(rand() * 10) / 2 });
      p += side === "offer" ? rand() * 15 : -rand() * 15;
    }
    bids.push({ id: String(i), zone: iv.zone, market: iv.market, interval_start: iv.start, side, segments });
  }
  return { prices, bids };
}

function toColumns(bids: ClearingBid[], prices: Map<string, number>) {
  const n = bids.length;
  const cols: SegmentColumns = {
    start: new Uint32Array(n + 1),
    price: new Float64Array(n * SEGMENTS),
    quantity: new Float64Array(n * SEGMENTS),
    side: new Uint8Array(n),
  };
  const lmp = new Float64Array(n);
  let k = 0;
  bids.forEach((b, i) => {
    cols.start[i] = k;
    cols.side[i] = b.side === "offer" ? 0 : 1;
    lmp[i] = prices.get(priceKey(b.zone, b.market, b.interval_start)) ?? NaN;
    for (const s of b.segments) {
      cols.price[k] = s.price;
      cols.quantity[k++] = s.quantity;
    }
  });
  cols.start[n] = k;
  return { cols, lmp };
}

function time(fn: () => number): { ms: number; check: number } {
  let check = fn(); // warm-up (JIT)
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    check = fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), check };
}

export function benchClearing(): Promise<Record<string, number>> {
  const { prices, bids } = book();
  const segments = bids.length * SEGMENTS;
  const shuffled = [...bids];
  const rand = rng(9);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const { cols, lmp } = toColumns(bids, prices);
  const out = new Float64Array(bids.length);

  const sumAwards = (list: ClearingBid[]) => {
    const r = clearBids(list, prices);
    if (r.unpriced.length) throw new Error(`${r.unpriced.length} bids found no price`);
    let mw = 0;
    for (const a of r.awards) mw += a.awarded_mw;
    return mw;
  };
  const ordered = time(() => sumAwards(bids));
  const random = time(() => sumAwards(shuffled));
  const columns = time(() => {
    clearColumns(cols, lmp, out);
    let mw = 0;
    for (let i = 0; i < out.length; i++) mw += out[i];
    return mw;
  });
  // The three shapes must agree on what they cleared (to float summation order).
  for (const [name, r] of [["shuffled", random], ["columns", columns]] as const) {
    if (Math.abs(r.check - ordered.check) > 1e-6 * Math.max(1, ordered.check)) {
      throw new Error(`${name} cleared ${r.check} MW, in order ${ordered.check} MW`);
    }
  }

  const line = (label: string, ms: number) =>
    `  ${label.padEnd(34)} ${fmt(ms, 1).padStart(7)} ms  ${
      fmt(segments / (ms / 1000) / 1e6, 1).padStart(6)
    } M segments/s`;
  console.log(
    `clearing: ${bids.length.toLocaleString("en-US")} bids × ${SEGMENTS} segments = ${
      segments.toLocaleString("en-US")
    } segments, median of ${RUNS} (target < 1000 ms); ${fmt(ordered.check, 0)} MW awarded`,
  );
  console.log(line("clearBids, database order", ordered.ms));
  console.log(line("clearBids, shuffled order", random.ms));
  console.log(line("clearColumns (typed arrays)", columns.ms));
  const count = `${(segments / 1e6).toLocaleString("en-US")}M segments`;
  report({
    bench: "clearing",
    figure: `clearBids, ${count}, database order`,
    value: ordered.ms,
    unit: "ms",
    // The target names a million segments; BENCH_CLEARING_BIDS scales it with the book.
    target: { op: "<", value: 1000 * segments / 1e6, source: "project" },
  });
  report({ bench: "clearing", figure: `clearColumns, ${count}`, value: columns.ms, unit: "ms" });
  return Promise.resolve({
    segments,
    clearBidsMs: ordered.ms,
    clearBidsShuffledMs: random.ms,
    clearColumnsMs: columns.ms,
    segmentsPerSec: segments / (ordered.ms / 1000),
  });
}

if (import.meta.main) await benchClearing();
