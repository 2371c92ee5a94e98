/**
 * What the bid pages and islands share for showing bids, browser-safe, pure and free of zod (the bid
 * list ships without it): formatting, the curve as step-chart points, and the list's query string.
 * Tested in tests/unit/bidding_ui_test.ts.
 */
import type { AnySide, BidKind, BidStatus, Segment } from "../services/bids/schema.ts";
import type { Market } from "../services/market/types.ts";
import type { Iso } from "../services/market/zones.ts";

// ---------------------------------------------------------------------------------------------------
// Formatting

/** "$42.10", "−$3.00" (a real minus sign), "—" for null. */
export function usd(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const abs = Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${v < 0 ? "−" : ""}$${abs}`;
}

export function mw(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  return `${Number(v.toFixed(3)).toLocaleString("en-US")} MW`;
}

// Intervals on pages read on the zone's market clock: services/market/market_time.ts formatMarketInterval.

// ---------------------------------------------------------------------------------------------------
// The curve as a step chart

export interface Point {
  x: number;
  y: number;
}

/**
 * A bid curve as the vertices of a step line, price ($/MWh) against cumulative MW: each segment is a
 * flat run at its price over its MW, joined by vertical risers. Segments that are not finite numbers
 * with a positive quantity (a row still being typed) are skipped.
 */
export function curveSteps(segments: readonly { price: number; quantity: number }[]): Point[] {
  const points: Point[] = [];
  let x = 0;
  for (const s of segments) {
    if (!Number.isFinite(s.price) || !Number.isFinite(s.quantity) || s.quantity <= 0) continue;
    points.push({ x, y: s.price }, { x: x + s.quantity, y: s.price });
    x += s.quantity;
  }
  return points;
}

/** The "nice" step (1, 2, 2.5 or 5 × a power of ten) that cuts `span` into about `count` parts. */
export function tickStep(span: number, count = 4): number {
  const raw = Math.max(Math.abs(span), 1e-9) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * p;
}

/**
 * Axis bounds that contain every value with some headroom, on multiples of the tick step (so the ticks
 * end on the bounds), with zero on the MW axis.
 */
export function chartDomain(points: readonly Point[], lines: readonly (number | null | undefined)[], count = 4) {
  const ys = [...points.map((p) => p.y), ...lines.filter((v): v is number => typeof v === "number")];
  let lo = ys.length ? Math.min(...ys) : 0;
  let hi = ys.length ? Math.max(...ys) : 100;
  if (lo === hi) {
    lo -= 10;
    hi += 10;
  }
  const pad = (hi - lo) * 0.08;
  const yStep = tickStep(hi - lo + 2 * pad, count);
  const xMax = Math.max(1, ...points.map((p) => p.x));
  const xStep = tickStep(xMax, count);
  return {
    xMin: 0,
    xMax: Math.ceil(xMax / xStep - 1e-9) * xStep,
    xStep,
    yMin: Math.floor((lo - pad) / yStep) * yStep,
    yMax: Math.ceil((hi + pad) / yStep) * yStep,
    yStep,
  };
}

/** Tick values from min to max, every `step`. */
export function ticks(min: number, max: number, step: number): number[] {
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toFixed(6)));
  return out;
}

// ---------------------------------------------------------------------------------------------------
// The bid list

export const PAGE_SIZE = 20;

/** Fired on `window` when the builder created, changed or submitted a bid (the bid list refreshes). */
export const BIDS_CHANGED_EVENT = "optibid:bids-changed";

export interface BidFilters {
  kind?: BidKind;
  status?: BidStatus;
  zone?: Iso;
  market?: Market;
  asset_id?: string;
}

/** The query string of the list (page and API alike): filters, then limit and cursor. */
export function listQuery(f: BidFilters, opts: { cursor?: string | null; limit?: number } = {}): string {
  const q = new URLSearchParams();
  for (const k of ["kind", "status", "zone", "market", "asset_id"] as const) if (f[k]) q.set(k, f[k]!);
  if (opts.limit) q.set("limit", String(opts.limit));
  if (opts.cursor) q.set("cursor", opts.cursor);
  return q.toString();
}

/** What the bid list shows of a bid. */
export interface BidRow {
  id: string;
  /** `virtual`: no asset; named by its side and location. */
  kind: BidKind;
  /** For the list's bulk copy (the new bids are the same asset's). */
  asset_id: string | null;
  asset_name: string | null;
  location: string | null;
  zone: string;
  market: Market;
  interval_start: string;
  interval_end: string;
  side: AnySide;
  segments: Segment[];
  status: BidStatus;
  awarded_mw: number | null;
  clearing_price: number | null;
  revenue: number | null;
}

export function toRow(b: BidRow): BidRow {
  // Only what the list shows: an API bid carries more (history, settlement details) than the island needs.
  const keys = [
    "id",
    "kind",
    "asset_id",
    "asset_name",
    "location",
    "zone",
    "market",
    "interval_start",
    "interval_end",
    "side",
    "segments",
    "status",
    "awarded_mw",
    "clearing_price",
    "revenue",
  ] as const;
  return Object.fromEntries(keys.map((k) => [k, b[k]])) as unknown as BidRow;
}

/** "3 seg · 45 MW · $20.00–$80.00"; `price` formats a price in the viewer's unit ($ by default). */
export function curveSummary(segments: readonly Segment[], price: (v: number) => string = usd): string {
  if (!segments.length) return "no segments";
  const total = segments.reduce((s, x) => s + x.quantity, 0);
  const prices = segments.map((s) => s.price);
  const lo = Math.min(...prices);
  const hi = Math.max(...prices);
  return `${segments.length} seg · ${mw(total)} · ${lo === hi ? price(lo) : `${price(lo)}–${price(hi)}`}`;
}

/** What a bid is for: its asset, or "Virtual INC · WESTERN HUB". */
export function bidSubject(b: Pick<BidRow, "kind" | "asset_name" | "side" | "location">): string {
  return b.kind === "virtual" ? `Virtual ${b.side.toUpperCase()} · ${b.location}` : b.asset_name ?? "";
}
