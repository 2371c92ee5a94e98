/**
 * The bid builder's form as a bid: typed text to numbers, the delivery interval from its fields, issues
 * by field, default intervals that are still open. Browser-safe and pure (tests/unit/bidding_ui_test.ts).
 */
import type { AnySide, AssetKind, BidKind, Issue, Segment } from "../services/bids/schema.ts";
import { MAX_SEGMENTS, submissionDeadline } from "../services/bids/schema.ts";
import type { Market } from "../services/market/types.ts";
import { isIso, type Iso, ZONES } from "../services/market/zones.ts";
import { clockAbbrev, formatMarketClock, marketHour, operatingDayHours } from "../services/market/market_time.ts";
import { parsePriceInput, priceInputText } from "../services/market/price_input.ts";
import type { PriceUnit } from "../services/market/units.ts";

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** "10:00 EDT" on the zone's market clock. */
export function marketClock(zone: Iso, instant: number): string {
  return `${formatMarketClock(zone, instant)} ${clockAbbrev(zone, instant)}`;
}

// ---------------------------------------------------------------------------------------------------
// The builder's form

/** A curve row as typed: strings, so that what the user typed is what the schema judges. */
export interface CurveRow {
  key: number;
  price: string;
  quantity: string;
}

/** A typed number; "" becomes undefined (reported as missing), anything unparsable stays a string. */
export function parseNumber(text: string): number | string | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

export interface BuilderAsset {
  id: string;
  name: string;
  site_name: string;
  kind: AssetKind;
  zone: Iso;
  capacity_mw: number;
  charge_mw: number | null;
  discharge_mw: number | null;
}

export interface BuilderForm {
  /** `virtual`: an INC/DEC at `location` in `zone`, no asset (DA only). */
  kind: BidKind;
  assetId: string;
  /** The virtual bid's zone (a physical bid's is its asset's). */
  zone: Iso;
  /** The virtual bid's pricing location (hub, zone or node). */
  location: string;
  market: Market;
  /** The operating day on the zone's market clock, YYYY-MM-DD. */
  date: string;
  /** The hour's place in that day, 0-based (HE1 is 0; 23 or 25 hours on DST days: see operatingDayHours). */
  hour: number;
  minute: number;
  side: AnySide;
  rows: CurveRow[];
}

/** The zone the form bids into: the virtual bid's own, or the asset's. */
export function formZone(f: Pick<BuilderForm, "kind" | "zone">, asset: BuilderAsset | undefined): Iso {
  return f.kind === "virtual" ? f.zone : asset?.zone ?? "PJM";
}

/** The hours of the form's operating day in the zone (HE labels), or none when the date is not one. */
export function dayHours(zone: Iso, date: string) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return [];
  try {
    return operatingDayHours(zone, date);
  } catch {
    return [];
  }
}

/**
 * The delivery interval's start (UTC ISO, for the API) from the operating day, hour of that day and (RT)
 * minute typed on the zone's market clock; "" when the date is not one or the day has no such hour.
 */
export function intervalStartOf(f: Pick<BuilderForm, "market" | "date" | "hour" | "minute">, zone: Iso): string {
  const h = dayHours(zone, f.date)[f.hour];
  if (!h) return "";
  const minute = f.market === "RT" ? f.minute : 0;
  return new Date(h.start.getTime() + minute * MINUTE).toISOString();
}

/** An interval's start as the form's fields: operating day, hour of the day and minute on the market clock. */
export function formFieldsOf(zone: Iso, start: number): { date: string; hour: number; minute: number } {
  const h = marketHour(zone, start);
  // US market clocks are whole hours from UTC: the minute is the same on both.
  return { date: h.date, hour: h.index, minute: new Date(start).getUTCMinutes() };
}

/**
 * A price as typed in the user's unit, in $/MWh for the API: undefined when empty (missing), the text
 * itself when it is no price in the unit (the schema refuses it; `priceIssues` says why in plain words).
 */
export function typedPrice(text: string, unit: PriceUnit = "$/MWh"): number | string | undefined {
  // In $/MWh the text is the API's own number, judged by the schema as before.
  if (unit === "$/MWh") return parseNumber(text);
  if (text.trim() === "") return undefined;
  const p = parsePriceInput(text, unit);
  return p.ok ? p.dollarsPerMwh : text.trim();
}

/** The rows' prices that are not a price in the unit (not a number, or finer than the API holds). */
export function priceIssues(rows: readonly CurveRow[], unit: PriceUnit = "$/MWh"): Issue[] {
  const out: Issue[] = [];
  if (unit === "$/MWh") return out;
  rows.forEach((r, i) => {
    if (r.price.trim() === "") return;
    const p = parsePriceInput(r.price, unit, `Segment ${i + 1} price`);
    if (!p.ok) out.push({ path: `segments.${i}.price`, message: p.message, code: "invalid_price" });
  });
  return out;
}

/** The body of POST /api/bids for the form (the zone is the asset's); prices typed in `unit` go in $/MWh. */
export function formToInput(
  f: BuilderForm,
  asset: BuilderAsset | undefined,
  unit: PriceUnit = "$/MWh",
): Record<string, unknown> {
  const segments = f.rows.map((r) => ({ price: typedPrice(r.price, unit), quantity: parseNumber(r.quantity) }));
  if (f.kind === "virtual") {
    return {
      kind: "virtual",
      zone: f.zone,
      location: f.location,
      market: "DA",
      interval_start: intervalStartOf({ ...f, market: "DA" }, f.zone),
      side: f.side,
      segments,
    };
  }
  return {
    asset_id: f.assetId,
    zone: asset?.zone,
    market: f.market,
    interval_start: asset ? intervalStartOf(f, asset.zone) : "",
    side: f.side,
    segments,
  };
}

/**
 * The builder's fields as a browser posts them without JavaScript (names as the island renders them:
 * asset_id, market, date, hour, minute, side, segments.N.price, segments.N.quantity) back into the form.
 * Anything out of range falls back to a default; the bid's own rules judge the rest.
 */
export function formFromFields(v: Readonly<Record<string, string>>): BuilderForm {
  const int = (s: string | undefined, min: number, max: number) => {
    const n = Number(s);
    return Number.isInteger(n) && n >= min && n <= max ? n : min;
  };
  const rows: CurveRow[] = [];
  for (let i = 0; i < MAX_SEGMENTS; i++) {
    const price = v[`segments.${i}.price`];
    const quantity = v[`segments.${i}.quantity`];
    if (price === undefined && quantity === undefined) continue;
    rows.push({ key: i, price: price ?? "", quantity: quantity ?? "" });
  }
  const minute = int(v.minute, 0, 55);
  const virtual = v.kind === "virtual";
  const sides: readonly AnySide[] = virtual ? ["inc", "dec"] : ["offer", "bid"];
  return {
    kind: virtual ? "virtual" : "physical",
    assetId: v.asset_id ?? "",
    zone: isIso(v.zone ?? "") ? v.zone as Iso : "PJM",
    location: v.location ?? "",
    market: v.market === "RT" && !virtual ? "RT" : "DA",
    date: v.date ?? "",
    hour: int(v.hour, 0, 24),
    minute: minute - (minute % 5),
    side: sides.find((x) => x === v.side) ?? sides[0],
    rows: rows.length ? rows : [{ key: 0, price: "", quantity: "" }],
  };
}

/** A saved bid back into the builder's form, to edit it (a draft), its prices in the user's unit. */
export function formFromBid(bid: {
  kind?: BidKind;
  asset_id: string | null;
  location?: string | null;
  zone: Iso;
  market: Market;
  interval_start: string;
  side: AnySide;
  segments: readonly Segment[];
}, unit: PriceUnit = "$/MWh"): BuilderForm {
  return {
    kind: bid.kind ?? "physical",
    assetId: bid.asset_id ?? "",
    zone: bid.zone,
    location: bid.location ?? "",
    market: bid.market,
    ...formFieldsOf(bid.zone, Date.parse(bid.interval_start)),
    side: bid.side,
    rows: bid.segments.map((s, i) => ({
      key: i,
      price: unit === "$/MWh" ? String(s.price) : priceInputText(s.price, unit),
      quantity: String(s.quantity),
    })),
  };
}

/** The builder's row buttons without JavaScript: "add_row" and "remove:N" change the rows, nothing else. */
export function applyRowAction(f: BuilderForm, action: string, zone: Iso | undefined): BuilderForm | null {
  if (action === "add_row") {
    if (f.rows.length >= maxRows(zone)) return f;
    const last = f.rows[f.rows.length - 1];
    const key = Math.max(...f.rows.map((r) => r.key)) + 1;
    return { ...f, rows: [...f.rows, { key, price: last?.price ?? "", quantity: "" }] };
  }
  const m = /^remove:(\d+)$/.exec(action);
  if (m) {
    const i = Number(m[1]);
    if (f.rows.length <= 1 || i >= f.rows.length) return f;
    return { ...f, rows: f.rows.filter((_, j) => j !== i) };
  }
  return null;
}

/** The segments of the form that are numbers already (for the chart while the user types), in $/MWh. */
export function typedSegments(rows: readonly CurveRow[], unit: PriceUnit = "$/MWh"): Segment[] {
  const out: Segment[] = [];
  for (const r of rows) {
    const price = typedPrice(r.price, unit);
    const quantity = parseNumber(r.quantity);
    if (typeof price === "number" && typeof quantity === "number") out.push({ price, quantity });
  }
  return out;
}

/**
 * Issues keyed by the field the builder shows them beside. Paths are the schema's dotted ones, with the
 * API's "body." prefix removed; `segments.2` (the row as a whole) goes with the row's price.
 */
export function issuesByField(issues: readonly Pick<Issue, "path" | "message">[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const i of issues) {
    let key = i.path.replace(/^body\.?/, "") || "_form";
    if (/^segments\.\d+$/.test(key)) key += ".price";
    if (/^segments\.\d+\.(?!price$|quantity$)/.test(key)) key = key.replace(/^(segments\.\d+)\..*$/, "$1.price");
    const list = (out[key] ??= []);
    if (!list.includes(i.message)) list.push(i.message);
  }
  return out;
}

/** A 4xx body of the API as issues: its `details` when they carry paths, else its message for the whole form. */
export function serverIssues(body: unknown, status: number): Issue[] {
  const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
  const details = error?.details;
  if (Array.isArray(details) && details.length && details.every((d) => typeof d?.path === "string")) {
    return details.map((d) => ({ path: d.path, message: String(d.message ?? "invalid"), code: String(d.code ?? "") }));
  }
  return [{ path: "_form", message: error?.message ?? `The server answered HTTP ${status}`, code: error?.code ?? "" }];
}

/** How many rows the zone's rules let the curve have (the schema's maximum or less). */
export function maxRows(zone: Iso | undefined): number {
  return zone ? Math.min(MAX_SEGMENTS, ZONES[zone].maxOfferSegments) : MAX_SEGMENTS;
}

/**
 * The earliest interval still open at `now` plus a margin: DA, the hour that starts at noon on the market
 * clock of the next delivery day whose gate is open; RT, the first hour whose deadline is at least
 * `marginMs` away. Returned as the form's fields (operating day and hour on the market clock).
 */
export function defaultInterval(
  zone: Iso,
  market: Market,
  now: Date,
  marginMs = 10 * MINUTE,
): { date: string; hour: number; minute: number } {
  const t = now.getTime() + marginMs;
  let start: number;
  if (market === "DA") {
    // Noon on the market clock, one day at a time, until the gate for it is still ahead.
    start = Math.floor(t / HOUR) * HOUR + 24 * HOUR;
    start = noonOnMarketClock(zone, start);
    while (submissionDeadline(zone, "DA", start).getTime() <= t) start = noonOnMarketClock(zone, start + 24 * HOUR);
  } else {
    start = Math.ceil(t / HOUR) * HOUR;
    while (submissionDeadline(zone, "RT", start).getTime() <= t) start += HOUR;
  }
  return formFieldsOf(zone, start);
}

function noonOnMarketClock(zone: Iso, around: number): number {
  const hour = Number(formatMarketClock(zone, around).slice(0, 2));
  // Whole-hour offsets only (see schema.ts): shifting by the local hour lands on the local noon.
  return Math.floor(around / HOUR) * HOUR + (12 - hour) * HOUR;
}

/** The most consecutive RT intervals one save may cover (an hour of 5-minute intervals). */
export const MAX_REPEAT = 12;

/**
 * A bid repeated for the next `n` intervals of its market (RT: 5 minutes apart), the first being the bid
 * itself: one batch, all or nothing. A DA bid, or n < 2, is the bid alone.
 */
export function repeatedBids<T extends { market: Market; interval_start: string }>(bid: T, n: number): T[] {
  if (bid.market !== "RT" || n < 2) return [bid];
  const start = Date.parse(bid.interval_start);
  return Array.from({ length: Math.min(n, MAX_REPEAT) }, (_, k) => ({
    ...bid,
    interval_start: new Date(start + k * 5 * MINUTE).toISOString(),
  }));
}
