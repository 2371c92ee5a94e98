/**
 * The day grid of the bid builder as data: one operating day of a zone, one row per hour (HE1–HE24; 23 or
 * 25 rows on DST change days), each row a side and a curve of (price, MW) cells, and the spreadsheet
 * operations on it (paste a block, fill down, copy an hour to all / peak / off-peak hours, copy another
 * day, clear). Pure and browser-safe (islands/DayGrid.tsx draws it; tests/unit/day_grid_test.ts).
 *
 * Validation is the server's: each row goes through `checkBid` (services/bids/schema.ts) and the day's
 * rows together through `feasibilityIssues` (services/bids/feasibility.ts) with the asset's live bids, so
 * what the grid marks as you type is what the batch API would refuse.
 */
import { feasibilityIssues, isLive, type StorageLimits } from "../services/bids/feasibility.ts";
import type { CommitmentBid } from "../services/bids/feasibility.ts";
import { type BidSide, checkBid, intervalEnd, MAX_SEGMENTS, type Segment } from "../services/bids/schema.ts";
import { addDays, localDayBounds } from "../services/market/clock.ts";
import { isPeakHour, operatingDayHours } from "../services/market/market_time.ts";
import { type Iso, nextGateClosure, ZONES } from "../services/market/zones.ts";
import { messageInUnit, parsePriceInput, priceInputText } from "../services/market/price_input.ts";
import type { PriceUnit } from "../services/market/units.ts";

// ---------------------------------------------------------------------------------------------------
// The hours of an operating day

/** One hour of an operating day, as the grid needs it (market_time.ts's `MarketHour`, its start as ISO). */
export interface GridHour {
  /** Hour ending on the wall clock, 1–24. */
  he: number;
  /** "HE17", "HE2*" for the repeated autumn hour. */
  label: string;
  /** ISO instant, UTC. */
  start: string;
}

/** The hours of `zone`'s operating day `date`: 24, or 23 / 25 on DST change days (market_time.ts). */
export function dayHours(zone: Iso, date: string): GridHour[] {
  return operatingDayHours(zone, date).map((h) => ({ he: h.he, label: h.label, start: h.start.toISOString() }));
}

/** The operating day a new day grid opens on: the first whose DA gate is still open at `now`. */
export function defaultDay(zone: Iso, now: Date): string {
  return nextGateClosure(zone, now).deliveryDate;
}

/** On-peak hours: HE8–HE23 (market_time.ts). */
export const isPeak = isPeakHour;

export { addDays };

// ---------------------------------------------------------------------------------------------------
// The grid

/** A row as typed: cells are strings (price 0, MW 0, price 1, MW 1, …) so the schema judges what was typed. */
export interface DayRow {
  side: BidSide;
  cells: string[];
}

export interface DayGrid {
  /** Curve segments per hour (columns = 2 × segments). */
  segments: number;
  rows: DayRow[];
}

export function emptyGrid(hours: number, segments: number, side: BidSide): DayGrid {
  return { segments, rows: Array.from({ length: hours }, () => ({ side, cells: blank(segments) })) };
}

const blank = (segments: number) => Array.from({ length: segments * 2 }, () => "");

/** The grid with `segments` segments per row: cells added blank, or cut off from the right. */
export function withSegments(g: DayGrid, segments: number): DayGrid {
  const n = Math.max(1, Math.min(MAX_SEGMENTS, segments));
  return {
    segments: n,
    rows: g.rows.map((r) => ({ ...r, cells: [...r.cells, ...blank(n)].slice(0, n * 2) })),
  };
}

/** The grid resized to `hours` rows (another day's length): rows kept by position, new ones blank. */
export function withHours(g: DayGrid, hours: number, side: BidSide): DayGrid {
  const rows = g.rows.slice(0, hours);
  while (rows.length < hours) rows.push({ side, cells: blank(g.segments) });
  return { ...g, rows };
}

export function setCell(g: DayGrid, row: number, col: number, value: string): DayGrid {
  return {
    ...g,
    rows: g.rows.map((r, i) => (i === row ? { ...r, cells: r.cells.map((c, j) => (j === col ? value : c)) } : r)),
  };
}

export function setSide(g: DayGrid, row: number, side: BidSide): DayGrid {
  return { ...g, rows: g.rows.map((r, i) => (i === row ? { ...r, side } : r)) };
}

const THOUSANDS = /^-?\$?\d{1,3}(,\d{3})+(\.\d+)?$/;

/**
 * A spreadsheet cell as a number's text: "$1,250.50" → "1250.50", "4.125¢" → "4.125"; anything else as it
 * came, trimmed.
 */
function cleanCell(text: string): string {
  const t = text.trim().replace(/^"(.*)"$/, "$1").trim().replace(/^(-?[\d.]+)\s*¢$/, "$1");
  const money = THOUSANDS.test(t) ? t.replaceAll(",", "") : t;
  return money.replace(/^(-?)\$/, "$1");
}

/**
 * A block copied from a spreadsheet (TSV: rows by newline, cells by tab) as cell texts. A single trailing
 * newline (spreadsheets add one) is not a row.
 */
export function parseTsv(text: string): string[][] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines.map((l) => l.split("\t").map(cleanCell));
}

/**
 * `block` written into the grid from (`row`, `col`) on, as a spreadsheet pastes: more columns than the
 * curve has add segments (up to MAX_SEGMENTS), rows past the day's end are dropped (`dropped` counts them).
 */
export function pasteBlock(
  g: DayGrid,
  row: number,
  col: number,
  block: string[][],
): { grid: DayGrid; dropped: number } {
  const width = Math.max(0, ...block.map((r) => r.length));
  const need = Math.ceil((col + width) / 2);
  let out = need > g.segments ? withSegments(g, need) : g;
  const cols = out.segments * 2;
  const rows = out.rows.map((r) => ({ ...r, cells: [...r.cells] }));
  let dropped = 0;
  block.forEach((values, i) => {
    const target = rows[row + i];
    if (!target) {
      dropped++;
      return;
    }
    values.forEach((v, j) => {
      if (col + j < cols) target.cells[col + j] = v;
    });
  });
  out = { ...out, rows };
  return { grid: out, dropped };
}

/** The value of (`row`, `col`) copied into every row below it (a spreadsheet's fill down). */
export function fillDown(g: DayGrid, row: number, col: number): DayGrid {
  const v = g.rows[row]?.cells[col] ?? "";
  return {
    ...g,
    rows: g.rows.map((r, i) => (i > row ? { ...r, cells: r.cells.map((c, j) => (j === col ? v : c)) } : r)),
  };
}

export type CopyTarget = "all" | "peak" | "offpeak";

/** Row `row` (side and curve) copied to every other hour, or to the on-peak or off-peak hours only. */
export function copyHour(g: DayGrid, hours: readonly GridHour[], row: number, to: CopyTarget): DayGrid {
  const src = g.rows[row];
  if (!src) return g;
  return {
    ...g,
    rows: g.rows.map((r, i) => {
      const h = hours[i];
      const hit = to === "all" || (h && (to === "peak" ? isPeak(h) : !isPeak(h)));
      return i !== row && hit ? { side: src.side, cells: [...src.cells] } : r;
    }),
  };
}

/** Every cell emptied (the sides stay). */
export function clearGrid(g: DayGrid): DayGrid {
  return { ...g, rows: g.rows.map((r) => ({ ...r, cells: blank(g.segments) })) };
}

/** A bid of another day as the grid copies it. */
export interface DayBid {
  interval_start: string;
  side: BidSide;
  segments: readonly Segment[];
}

/**
 * Another day's bids (yesterday's) laid onto this day's hours: each goes to the hour with its hour-ending
 * label (HE2* only onto an autumn day's HE2*; a missing spring HE2 stays blank). Rows without a bid keep
 * what they had. `zone` gives the other day's labels.
 */
export function copyDay(
  g: DayGrid,
  hours: readonly GridHour[],
  zone: Iso,
  otherDate: string,
  bids: readonly DayBid[],
  unit: PriceUnit = "$/MWh",
): DayGrid {
  const labelOf = new Map(dayHours(zone, otherDate).map((h) => [Date.parse(h.start), h.label]));
  const byLabel = new Map<string, DayBid>();
  for (const b of bids) {
    const label = labelOf.get(Date.parse(b.interval_start));
    if (label) byLabel.set(label, b);
  }
  const segments = Math.max(g.segments, ...[...byLabel.values()].map((b) => b.segments.length));
  const sized = withSegments(g, segments);
  return {
    ...sized,
    rows: sized.rows.map((r, i) => {
      const b = hours[i] && byLabel.get(hours[i].label);
      if (!b) return r;
      const cells = blank(sized.segments);
      b.segments.forEach((s, k) => {
        cells[2 * k] = priceCell(s.price, unit);
        cells[2 * k + 1] = String(s.quantity);
      });
      return { side: b.side, cells };
    }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Rows as bids, and their issues

function typed(text: string): number | string | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

/** A $/MWh price as its cell shows it in the user's unit. */
function priceCell(dollarsPerMwh: number, unit: PriceUnit): string {
  return unit === "$/MWh" ? String(dollarsPerMwh) : priceInputText(dollarsPerMwh, unit);
}

/**
 * A price cell as typed in the user's unit, in $/MWh: in $/MWh the text is the API's number as before;
 * in ¢/kWh it is shifted exactly, and text that is no price in the unit stays text (the schema refuses it,
 * `priceCellIssue` says why plainly).
 */
function typedPrice(text: string, unit: PriceUnit): number | string | undefined {
  if (unit === "$/MWh" || text.trim() === "") return typed(text);
  const p = parsePriceInput(text, unit);
  return p.ok ? p.dollarsPerMwh : text.trim();
}

/** Why a typed price cell is no price in the unit (¢/kWh: not a number, or finer than the API holds). */
function priceCellIssue(text: string, unit: PriceUnit, segment: number): string | null {
  if (unit === "$/MWh" || text.trim() === "") return null;
  const p = parsePriceInput(text, unit, `${unit} ${segment + 1}`);
  return p.ok ? null : p.message;
}

const rowIsBlank = (r: DayRow) => r.cells.every((c) => c.trim() === "");

/**
 * The rows with anything typed, as bid inputs in hour order (`rows[k]` is the grid row of `bids[k]`). A
 * segment whose two cells are blank is left out; a half-typed one is kept so the schema names what is
 * missing.
 */
export function gridBids(g: DayGrid, hours: readonly GridHour[], assetId: string, unit: PriceUnit = "$/MWh") {
  const bids: { asset_id: string; market: "DA"; interval_start: string; side: BidSide; segments: unknown[] }[] = [];
  const rows: number[] = [];
  g.rows.forEach((r, i) => {
    if (!hours[i] || rowIsBlank(r)) return;
    const segments: unknown[] = [];
    for (let k = 0; k < g.segments; k++) {
      const price = r.cells[2 * k] ?? "", quantity = r.cells[2 * k + 1] ?? "";
      if (price.trim() === "" && quantity.trim() === "") continue;
      segments.push({ price: typedPrice(price, unit), quantity: typed(quantity) });
    }
    bids.push({ asset_id: assetId, market: "DA", interval_start: hours[i].start, side: r.side, segments });
    rows.push(i);
  });
  return { bids, rows };
}

/** What is wrong where: by cell (`"row:col"`) and by row (side, the whole curve, the hour). */
export interface GridIssues {
  cells: Record<string, string[]>;
  rows: Record<number, string[]>;
  count: number;
}

export const cellKey = (row: number, col: number) => `${row}:${col}`;

function emptyIssues(): GridIssues {
  return { cells: {}, rows: {}, count: 0 };
}

/**
 * A rule's message with the bid's field paths named as the grid's columns label them ("segments.1.price"
 * → "$/MWh 2", or "¢/kWh 2" with its prices in ¢/kWh; "segments" → "the curve"), since the grid has no
 * field called "segments".
 */
export function gridWords(message: string, unit: PriceUnit = "$/MWh"): string {
  return messageInUnit(message, unit)
    .replace(
      /\bsegments\.(\d+)\.(price|quantity)\b/g,
      (_, i, f) => `${f === "price" ? unit : "MW"} ${Number(i) + 1}`,
    )
    .replace(/^segments\b/, "The curve")
    .replace(/\bsegments\b/g, "the curve");
}

/** One issue of a bid (`path` relative to it) put on its cell, or on its row when no cell owns it. */
function place(out: GridIssues, row: number, path: string, raw: string, unit: PriceUnit = "$/MWh") {
  const message = gridWords(raw, unit);
  const m = /^segments\.(\d+)\.(price|quantity)$/.exec(path);
  if (m) {
    const key = cellKey(row, 2 * Number(m[1]) + (m[2] === "price" ? 0 : 1));
    (out.cells[key] ??= []).push(message);
  } else {
    (out.rows[row] ??= []).push(message);
  }
  out.count++;
}

/**
 * Every rule the day's rows break, as the batch API would judge them at `now`: each row on its own
 * (`checkBid`: prices, order, capacity, gate), then the valid rows together with the asset's `live` bids
 * (`feasibilityIssues`: power per side, no charge during a discharge, a storage asset's energy over the day).
 */
export function validateDay(
  g: DayGrid,
  hours: readonly GridHour[],
  asset: StorageLimits & { id: string },
  now: Date,
  live: readonly CommitmentBid[] = [],
  unit: PriceUnit = "$/MWh",
): GridIssues {
  const out = emptyIssues();
  const { bids, rows } = gridBids(g, hours, asset.id, unit);
  const ok: { row: number; bid: CommitmentBid }[] = [];
  bids.forEach((input, k) => {
    const r = checkBid(input, { asset, now });
    if (!r.ok) {
      // A price cell that is no price in the unit says so plainly, instead of the schema's "must be a price".
      const plain = new Map<string, string>();
      g.rows[rows[k]].cells.forEach((text, col) => {
        const why = col % 2 === 0 ? priceCellIssue(text, unit, col / 2) : null;
        if (why) plain.set(`segments.${col / 2}.price`, why);
      });
      for (const [path, message] of plain) place(out, rows[k], path, message, unit);
      for (const i of r.issues) if (!plain.has(i.path)) place(out, rows[k], i.path, i.message, unit);
    } else {
      ok.push({
        row: rows[k],
        // The grid's bids are physical (an asset's day): their side is an offer or a bid.
        bid: { ...r.bid, side: r.bid.side as BidSide, interval_end: intervalEnd("DA", r.bid.interval_start) },
      });
    }
  });
  if (ok.length) {
    const liveOnly = live.filter((b) => b.status === undefined || isLive(b.status));
    for (const i of feasibilityIssues(asset, liveOnly, ok.map((o) => o.bid))) {
      const m = ok.length > 1 ? /^(\d+)\.(.*)$/.exec(i.path) : null;
      const k = m ? Number(m[1]) : 0;
      place(
        out,
        ok[k].row,
        m ? m[2] : i.path,
        i.message.replace(/^\d+\.segments: /, "").replace(/^segments: /, ""),
        unit,
      );
    }
  }
  return out;
}

/**
 * The batch API's refusal (400 or 409, `details[].index` and `path` "body.bids.N.…") put on the grid's
 * cells: `rows[N]` is the grid row of the batch's bid N.
 */
export function serverIssues(body: unknown, rows: readonly number[], unit: PriceUnit = "$/MWh"): GridIssues {
  const out = emptyIssues();
  const details = (body as { error?: { details?: unknown } })?.error?.details;
  if (!Array.isArray(details)) return out;
  for (const d of details as { index?: number; path?: string; message?: string }[]) {
    const m = /^(?:body\.)?bids\.(\d+)\.?(.*)$/.exec(d.path ?? "");
    const index = d.index ?? (m ? Number(m[1]) : undefined);
    if (index === undefined || rows[index] === undefined) continue;
    place(out, rows[index], m ? m[2] : "", (d.message ?? "refused").replace(/^bids\.\d+\.(segments: )?/, ""), unit);
  }
  return out;
}

/** The UTC range [from, to) of `zone`'s operating day `date`, as ISO strings (for the API's queries). */
export function dayRange(zone: Iso, date: string): { from: string; to: string } {
  const [from, to] = localDayBounds(ZONES[zone].timeZone, date);
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

// ---------------------------------------------------------------------------------------------------
// Day templates

/** A template's hours as the API stores them (services/bids/template_schema.ts). */
export interface TemplateHour {
  label: string;
  side: BidSide;
  segments: Segment[];
}

/**
 * The grid's filled rows as a template's hours, keyed by hour-ending label; null with the first problem
 * when a row is not a curve of numbers (a template stores curves, so it is saved from a clean grid).
 */
export function templateHours(
  g: DayGrid,
  hours: readonly GridHour[],
  unit: PriceUnit = "$/MWh",
): { hours: TemplateHour[]; problem: null } | { hours: null; problem: string } {
  const out: TemplateHour[] = [];
  for (const [i, r] of g.rows.entries()) {
    if (!hours[i] || rowIsBlank(r)) continue;
    const segments: Segment[] = [];
    for (let k = 0; k < g.segments; k++) {
      const price = typedPrice(r.cells[2 * k] ?? "", unit), quantity = typed(r.cells[2 * k + 1] ?? "");
      if (price === undefined && quantity === undefined) continue;
      if (typeof price !== "number" || typeof quantity !== "number") {
        return { hours: null, problem: `${hours[i].label}: segment ${k + 1} is not a price and a quantity` };
      }
      segments.push({ price, quantity });
    }
    out.push({ label: hours[i].label, side: r.side, segments });
  }
  return out.length ? { hours: out, problem: null } : { hours: null, problem: "The day is empty" };
}

/**
 * A template laid onto this day: each hour takes the template's hour with its label (a spring day has no
 * HE3 to take; an autumn day's HE2* falls back to the template's HE2). Hours the template lacks are blank.
 */
export function applyTemplate(
  g: DayGrid,
  hours: readonly GridHour[],
  template: readonly TemplateHour[],
  unit: PriceUnit = "$/MWh",
): DayGrid {
  const byLabel = new Map(template.map((h) => [h.label, h]));
  const segments = Math.max(1, ...template.map((h) => h.segments.length));
  const sized = withSegments(g, Math.max(g.segments, segments));
  return {
    ...sized,
    rows: sized.rows.map((r, i) => {
      const h = hours[i] && (byLabel.get(hours[i].label) ?? byLabel.get(hours[i].label.replace("*", "")));
      const cells = blank(sized.segments);
      if (!h) return { ...r, cells };
      h.segments.forEach((s, k) => {
        cells[2 * k] = priceCell(s.price, unit);
        cells[2 * k + 1] = String(s.quantity);
      });
      return { side: h.side, cells };
    }),
  };
}
