/**
 * What a bid is and the rules it must respect: one definition for the API and the bid builder island.
 *
 * Browser-safe on purpose (the island bundles it): it imports zod and the market's zone rules only, and
 * uses no Deno API. `checkBid` is THE check of a bid, a pure function of the input, the asset's limits
 * and `now`: the browser calls it directly (islands/BidBuilder.tsx), the server through
 * `checkedBid` (services/bids/validation.ts), which loads the asset first. Same verdict, same messages;
 * the server's is the one that counts, since the browser's clock and asset data may be stale.
 */
import { z } from "zod";
import { MARKETS } from "../market/types.ts";
import type { Market } from "../market/types.ts";
import { bidHorizonEnd, gateClosureUtc, type Iso, ISOS, operatingDate, ZONES } from "../market/zones.ts";
import { COLUMNS, fitsScale } from "../schemas/numeric.ts";
import { canonicalLocation, findLocation, VIRTUAL_RULES, type VirtualRules } from "./virtual_rules.ts";

export const BID_SIDES = ["offer", "bid"] as const;
export type BidSide = typeof BID_SIDES[number];

/** A virtual position: `inc` sells DA and buys back at RT, `dec` buys DA and sells back at RT. */
export const VIRTUAL_SIDES = ["inc", "dec"] as const;
export type VirtualSide = typeof VIRTUAL_SIDES[number];
export type AnySide = BidSide | VirtualSide;

/** A physical bid has an asset; a virtual one a pricing location and no asset. */
export const BID_KINDS = ["physical", "virtual"] as const;
export type BidKind = typeof BID_KINDS[number];

/** How a virtual side clears in DA: an INC sells (like an offer), a DEC buys (like a bid). */
export function clearingSide(side: AnySide): BidSide {
  return side === "inc" || side === "offer" ? "offer" : "bid";
}

export const BID_STATUSES = [
  "draft",
  "pending_approval",
  "submitted",
  "rejected",
  "cleared",
  "settled",
  "withdrawn",
  "expired",
] as const;
export type BidStatus = typeof BID_STATUSES[number];

/** Same list as the assets table's CHECK constraint (db/migrations/005_assets_bids.sql). */
export const ASSET_KINDS = ["solar", "wind", "storage", "thermal"] as const;
export type AssetKind = typeof ASSET_KINDS[number];

/** The most segments the schema accepts; a zone may allow fewer (`ZoneRules.maxOfferSegments`). */
export const MAX_SEGMENTS = 10;

const MINUTE = 60_000;
const HOUR = 3_600_000;
/**
 * Every ISO's real-time interval is 5 minutes (`ZoneRules.rtIntervalMinutes`, asserted in the tests), so
 * `intervalEnd` needs no zone. If an ISO ever differs, `intervalEnd` must take the zone.
 */
export const RT_INTERVAL_MINUTES = 5;

// ---------------------------------------------------------------------------------------------------
// Messages that name their field

type PathItem = PropertyKey;

/** "segments.2.price" — the dotted form the API's error details use too (framework/api.ts). */
export function pathString(path: readonly PathItem[]): string {
  return path.map(String).join(".");
}

/**
 * zod's default messages ("Invalid input: expected number, received string") do not say which field is
 * wrong; a bid has up to 20 numbers, so every message here starts with the field's path.
 */
function named(what: string) {
  return (iss: { path?: readonly PathItem[]; code?: string; input?: unknown }) => {
    const field = pathString(iss.path ?? []) || "bid";
    if (iss.code === "invalid_type" && iss.input === undefined) return `${field} is missing; expected ${what}`;
    return `${field} must be ${what}`;
  };
}

// ---------------------------------------------------------------------------------------------------
// Schemas

/** Decimals of the columns an award copies a segment into, so clearing stores what was offered. */
const PRICE_SCALE = COLUMNS["bids.clearing_price"].scale;
const QUANTITY_SCALE = COLUMNS["bids.awarded_mw"].scale;

export const segmentSchema = z.strictObject({
  /** $/MWh; may be negative (down to the zone's floor). */
  price: z.number({ error: named("a price in $/MWh") }).finite({ error: named("a finite price in $/MWh") })
    .refine((x) => fitsScale(x, PRICE_SCALE), { error: named(`a price with at most ${PRICE_SCALE} decimals`) }),
  /** MW, strictly positive: a zero-MW segment says nothing and would hide a typo. */
  quantity: z.number({ error: named("a quantity in MW") }).positive({ error: named("a quantity above 0 MW") })
    .finite({ error: named("a finite quantity in MW") })
    .refine((x) => fitsScale(x, QUANTITY_SCALE), {
      error: named(`a quantity with at most ${QUANTITY_SCALE} decimals`),
    }),
}, {
  error: (iss) =>
    iss.code === "unrecognized_keys"
      ? `${pathString(iss.path ?? []) || "segment"} has unknown field(s) ${(iss.keys as string[]).join(", ")}`
      : named("an object { price, quantity }")(iss),
}).meta({ id: "BidSegment" });
export type Segment = z.infer<typeof segmentSchema>;

/** The fields and the refusal both kinds of bid share. */
const intervalStartField = z.iso.datetime({
  offset: true,
  error: named("an ISO-8601 date-time, e.g. 2025-07-01T14:00:00Z"),
});
const segmentsField = z.array(segmentSchema, { error: named("a list of { price, quantity } segments") })
  .min(1, { error: named("at least one segment") })
  .max(MAX_SEGMENTS, { error: named(`at most ${MAX_SEGMENTS} segments`) });
const bidObjectError = {
  error: (iss: { code?: string; keys?: string[]; path?: readonly PropertyKey[]; input?: unknown }) =>
    iss.code === "unrecognized_keys"
      ? `bid has unknown field(s) ${(iss.keys as string[]).join(", ")}`
      : named("an object")(iss),
};

export const bidInputSchema = z.strictObject({
  kind: z.literal("physical", { error: named(`"physical" (or left out)`) }).optional(),
  asset_id: z.uuid({ error: named("an asset id (UUID)") }),
  /** The asset's zone, which fixes it: optional, and when sent it must be the asset's. */
  zone: z.enum(ISOS, { error: named(`one of ${ISOS.join(", ")}`) }).optional(),
  market: z.enum(MARKETS, { error: named(`one of ${MARKETS.join(", ")}`) }),
  /**
   * Start of the delivery interval, ISO-8601 with "Z" or an offset. The interval's end is not sent: it
   * follows from the market (`intervalEnd`), so the two can never disagree.
   */
  interval_start: intervalStartField,
  side: z.enum(BID_SIDES, { error: named(`"offer" (sell) or "bid" (buy)`) }),
  segments: segmentsField,
}, bidObjectError).meta({ id: "BidInput" });
export type BidInput = z.infer<typeof bidInputSchema>;

export const virtualBidInputSchema = z.strictObject({
  kind: z.literal("virtual", { error: named(`"virtual"`) }),
  zone: z.enum(ISOS, { error: named(`one of ${ISOS.join(", ")}`) }),
  /** A hub or zone of `VIRTUAL_RULES[zone].locations`, or a node where the zone allows nodes. */
  location: z.string({ error: named("a pricing location (hub or node name)") }).trim()
    .min(1, { error: named("a pricing location (hub or node name)") })
    .max(64, { error: named("a location name of at most 64 characters") })
    .regex(/^[\x20-\x7E]+$/, { error: named("a location name in printable ASCII") }),
  /** Virtual positions are taken in the day-ahead market and liquidated at the real-time price. */
  market: z.literal("DA", { error: named(`"DA" (virtual bids are day-ahead)`) }),
  interval_start: intervalStartField,
  side: z.enum(VIRTUAL_SIDES, { error: named(`"inc" (sell DA, buy back RT) or "dec" (buy DA, sell back RT)`) }),
  segments: segmentsField,
}, bidObjectError).meta({ id: "VirtualBidInput" });
export type VirtualBidInput = z.infer<typeof virtualBidInputSchema>;

/** Either kind, told apart by `kind` (left out: physical): the body of the bid API. */
export const anyBidInputSchema = z.discriminatedUnion("kind", [bidInputSchema, virtualBidInputSchema]);

/** A bid that passed `checkBid`: kind, zone (the asset's for a physical bid) and its interval's end filled in. */
export interface CheckedBid {
  kind: BidKind;
  asset_id: string | null;
  location: string | null;
  zone: Iso;
  market: Market;
  interval_start: string;
  interval_end: string;
  side: AnySide;
  segments: Segment[];
}

/** The end of the delivery interval that starts at `start`: 1 h for DA, 5 min for RT (ISO string, UTC). */
export function intervalEnd(market: Market, start: string | Date): string {
  const t = typeof start === "string" ? Date.parse(start) : start.getTime();
  if (!Number.isFinite(t)) throw new RangeError(`not a date-time: ${String(start)}`);
  return new Date(t + (market === "DA" ? HOUR : RT_INTERVAL_MINUTES * MINUTE)).toISOString();
}

// ---------------------------------------------------------------------------------------------------
// Deadlines

/**
 * Minutes before the start of the operating HOUR that contains an RT interval after which offers for it
 * are no longer accepted. ISOs state their real-time offer deadlines per operating hour, not per 5-minute
 * interval, so the deadline for 14:55 is the same as for 14:00 (see `rtBidDeadline`).
 *
 * - PJM 65: PJM Inside Lines, "PJM Moves to Intraday Offers" (2017-11-01): updates "permitted 65 minutes
 *   prior to operating hour" (also PJM's Manual 11 revisions, "T-65 minutes update deadline").
 * - CAISO 75: caiso.com "Market processes": the real-time market "closes 75 minutes before the start of the
 *   trading hour" (also BPM for Market Operations §2.3.2).
 * - MISO 30: misoenergy.org "Real-Time and Operating Reserves Market": resource offers "must occur 30
 *   minutes prior to the Operating Hour".
 * - ERCOT 60: Nodal Protocols §2.1, "Adjustment Period" — ends one hour before the Operating Hour (from
 *   memory, not re-read for this module).
 * - NYISO 75: NYISO Market Services Tariff §4.4 — real-time bids are due 75 minutes before the dispatch
 *   hour (from memory, not re-read for this module).
 * - SPP, ISONE: UNVERIFIED — no source was found while writing this. Both are believed to accept offer
 *   updates until about 30 minutes before the hour; the conservative default of 75 minutes (the longest
 *   lead of the ISOs above) is used instead, so OptiBid never accepts a bid the ISO would refuse as late.
 */
export const RT_LEAD_MINUTES: Readonly<Record<Iso, number>> = Object.freeze({
  PJM: 65,
  CAISO: 75,
  ERCOT: 60,
  NYISO: 75,
  MISO: 30,
  SPP: 75,
  ISONE: 75,
});

function toMs(instant: string | Date | number): number {
  const t = typeof instant === "number"
    ? instant
    : typeof instant === "string"
    ? Date.parse(instant)
    : instant.getTime();
  if (!Number.isFinite(t)) throw new RangeError(`not a date-time: ${String(instant)}`);
  return t;
}

/**
 * Every zone's market clock (America/New_York, America/Chicago, America/Los_Angeles, MISO's fixed
 * Etc/GMT+5) is a whole number of hours off UTC all year, so "on the local hour" is "on the UTC hour" and
 * local 5-minute boundaries are UTC ones. That keeps alignment checks free of time-zone lookups; the
 * tests assert the premise for every zone across both 2025 DST changes.
 */
function floorTo(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}

/** The DA delivery day of an interval (the zone's operating date) and its gate closure, DST-correct. */
export function daGate(zone: Iso, intervalStart: string | Date | number): { deliveryDate: string; closesAt: Date } {
  const deliveryDate = operatingDate(zone, toMs(intervalStart));
  return { deliveryDate, closesAt: gateClosureUtc(zone, deliveryDate) };
}

/** The last instant (exclusive) an RT bid for the interval starting at `intervalStart` is accepted. */
export function rtBidDeadline(zone: Iso, intervalStart: string | Date | number): Date {
  return new Date(floorTo(toMs(intervalStart), HOUR) - RT_LEAD_MINUTES[zone] * MINUTE);
}

/**
 * Bids for the interval must be in strictly before this instant; withdrawals too (a bid cannot be pulled
 * out of a market that has closed for it).
 */
export function submissionDeadline(zone: Iso, market: Market, intervalStart: string | Date | number): Date {
  return market === "DA" ? daGate(zone, intervalStart).closesAt : rtBidDeadline(zone, intervalStart);
}

// ---------------------------------------------------------------------------------------------------
// Business rules

/**
 * The asset as the rules need it. A row of the assets API (`AssetView`, nulls for non-storage fields)
 * fits as it is.
 */
export interface AssetLimits {
  kind: AssetKind;
  zone: Iso;
  capacity_mw: number;
  /** Storage: most it can draw from the grid (bids). Falls back to `capacity_mw`. */
  charge_mw?: number | null;
  /** Storage: most it can inject (offers). Falls back to `capacity_mw`. */
  discharge_mw?: number | null;
}

export interface BidContext {
  asset: AssetLimits;
  now: Date;
}

/** One broken rule. `path` is dotted ("segments.2.price"); `message` names the field too. */
export interface Issue {
  path: string;
  message: string;
  code: IssueCode | string;
}

export type IssueCode =
  | "zone_mismatch"
  | "virtual_not_offered"
  | "location_not_eligible"
  | "quantity_below_minimum"
  | "too_many_segments"
  | "price_above_cap"
  | "price_below_floor"
  | "price_order"
  | "side_not_allowed"
  | "quantity_exceeds_capacity"
  | "interval_misaligned"
  | "invalid_datetime"
  | "gate_closed"
  | "rt_deadline_passed"
  | "beyond_horizon";

/**
 * Sums of MW with binary floats: 0.1 + 0.2 exceeds 0.3 by 5.5e-17. Quantities are stored to 3 decimals
 * (numeric(10,3) for capacities), so a nano-MW tolerance forgives float noise and nothing a user typed.
 */
const MW_EPSILON = 1e-9;

const money = (p: number) => `${p < 0 ? "−" : ""}$${Math.abs(p).toLocaleString("en-US", { maximumFractionDigits: 4 })}`;
const mw = (q: number) => `${Number(q.toFixed(6))} MW`;

/** The power limit of the asset for a side, or null when the asset cannot take that side at all. */
export function sideLimitMw(asset: AssetLimits, side: BidSide): number | null {
  if (asset.kind === "storage") {
    return (side === "offer" ? asset.discharge_mw : asset.charge_mw) ?? asset.capacity_mw;
  }
  // Solar, wind and thermal plants only inject: a purchase (bid) would need a load behind the meter.
  return side === "offer" ? asset.capacity_mw : null;
}

/**
 * Every market rule a (schema-valid) bid breaks, in field order; [] when it may be submitted at `now`.
 * Not exported: `checkBid` is the entry point (parse, then these rules).
 * Rules: zone of the asset; segment count of the zone; prices within the zone's floor and cap; offer
 * prices non-decreasing, bid prices non-increasing; the side allowed for the asset and total MW within
 * its power for that side; interval aligned to the market; DA before the zone's gate for the delivery
 * day, RT before the zone's lead time.
 */
function validateBid(bid: BidInput, ctx: BidContext): Issue[] {
  const issues: Issue[] = [];
  const add = (path: string, code: IssueCode, message: string) => issues.push({ path, code, message });
  const { asset, now } = ctx;

  if (bid.zone !== undefined && bid.zone !== asset.zone) {
    add("zone", "zone_mismatch", `zone ${bid.zone} is not the asset's zone (${asset.zone})`);
  }
  const input = { ...bid, zone: bid.zone ?? asset.zone };
  const rules = ZONES[input.zone];
  // The market-based cap (`offerCap`), not `costBasedOfferCap`: prices above it are only accepted from
  // offers whose costs the market monitor verified beforehand (FERC Order 831), and OptiBid holds no
  // such verification. Demand bids are held to the same range (e.g. NYISO's ±$1,000 bid restriction).
  curveIssues(input, { cap: rules.offerCap, floor: rules.offerFloor }, add);

  const limit = sideLimitMw(asset, input.side);
  if (limit === null) {
    add("side", "side_not_allowed", `side "bid" (buy) is only for storage; a ${asset.kind} asset can only offer`);
  } else {
    let total = 0;
    for (const s of input.segments) total += s.quantity;
    if (total > limit + MW_EPSILON) {
      const what = asset.kind === "storage"
        ? (input.side === "offer" ? "discharge power" : "charge power")
        : "capacity";
      add(
        "segments",
        "quantity_exceeds_capacity",
        `segments total ${mw(total)}, more than the asset's ${what} of ${mw(limit)}`,
      );
    }
  }
  timingIssues(input, now, add);
  return issues;
}

type AddIssue = (path: string, code: IssueCode, message: string) => void;

/**
 * The curve's rules, the same for both kinds: segment count of the zone; prices within [floor, cap]; a selling
 * curve (offer, INC) non-decreasing, a buying one (bid, DEC) non-increasing.
 */
function curveIssues(
  input: { zone: Iso; side: AnySide; segments: readonly Segment[] },
  limits: { cap: number; floor: number },
  add: AddIssue,
) {
  const rules = ZONES[input.zone];
  if (input.segments.length > rules.maxOfferSegments) {
    add(
      "segments",
      "too_many_segments",
      `segments has ${input.segments.length} entries; ${input.zone} accepts at most ${rules.maxOfferSegments}`,
    );
  }
  const selling = clearingSide(input.side) === "offer";
  input.segments.forEach((s, i) => {
    const path = `segments.${i}.price`;
    if (s.price > limits.cap) {
      add(
        path,
        "price_above_cap",
        `${path} ${money(s.price)}/MWh is above ${input.zone}'s cap of ${money(limits.cap)}/MWh`,
      );
    } else if (s.price < limits.floor) {
      add(
        path,
        "price_below_floor",
        `${path} ${money(s.price)}/MWh is below ${input.zone}'s floor of ${money(limits.floor)}/MWh`,
      );
    }
    if (i > 0) {
      const prev = input.segments[i - 1].price;
      // A supply curve rises and a demand curve falls; equal neighbours are fine (a flat step).
      if (selling && s.price < prev) {
        add(
          path,
          "price_order",
          `${path} ${money(s.price)}/MWh is below segments.${i - 1}.price ${money(prev)}/MWh: ` +
            `${input.side} prices must not decrease`,
        );
      } else if (!selling && s.price > prev) {
        add(
          path,
          "price_order",
          `${path} ${money(s.price)}/MWh is above segments.${i - 1}.price ${money(prev)}/MWh: ` +
            `${input.side} prices must not increase`,
        );
      }
    }
  });
}

/** The interval's rules, the same for both kinds: aligned to the market, before its deadline, within the horizon. */
function timingIssues(input: { zone: Iso; market: Market; interval_start: string }, now: Date, add: AddIssue) {
  const rules = ZONES[input.zone];
  const start = Date.parse(input.interval_start);
  if (!Number.isFinite(start)) {
    add(
      "interval_start",
      "invalid_datetime",
      `interval_start ${JSON.stringify(input.interval_start)} is not a date-time`,
    );
    return;
  }
  const step = input.market === "DA" ? HOUR : rules.rtIntervalMinutes * MINUTE;
  if (start % step !== 0) {
    add(
      "interval_start",
      "interval_misaligned",
      input.market === "DA"
        ? `interval_start ${input.interval_start} is not on the hour (DA intervals are hourly)`
        : `interval_start ${input.interval_start} is not on a ${rules.rtIntervalMinutes}-minute boundary`,
    );
  }

  const t = now.getTime();
  if (input.market === "DA") {
    const { deliveryDate, closesAt } = daGate(input.zone, start);
    // Offers are due *before* the gate: at the gate instant it is closed (as in nextGateClosure).
    if (t >= closesAt.getTime()) {
      add(
        "interval_start",
        "gate_closed",
        `interval_start ${input.interval_start} is on ${input.zone} delivery day ${deliveryDate}, whose day-ahead ` +
          `gate closed at ${closesAt.toISOString()} (${rules.daGateClosure} ${rules.gateTimeZone} the day before)`,
      );
    }
  } else {
    const deadline = rtBidDeadline(input.zone, start);
    if (t >= deadline.getTime()) {
      add(
        "interval_start",
        "rt_deadline_passed",
        `interval_start ${input.interval_start}: ${input.zone} real-time bids close ${RT_LEAD_MINUTES[input.zone]} ` +
          `minutes before the operating hour, at ${deadline.toISOString()}`,
      );
    }
  }

  // Horizon (ZoneRules.daHorizonDays / rtHorizonHours): how far ahead a bid may be, per market.
  const horizon = bidHorizonEnd(input.zone, input.market, now);
  if (start >= horizon.getTime()) {
    add(
      "interval_start",
      "beyond_horizon",
      `interval_start ${input.interval_start} is too far ahead: ${input.zone} ${input.market} bids are accepted ` +
        (input.market === "DA"
          ? `for delivery days up to ${rules.daHorizonDays} days ahead`
          : `for intervals starting within ${rules.rtHorizonHours} hours`) +
        `, before ${horizon.toISOString()}`,
    );
  }
}

/**
 * The rules of a virtual bid: the zone must offer virtual trading (`VIRTUAL_RULES`), the location must be one
 * of its hubs/zones or, where the zone allows nodes, any node; every segment at least the zone's minimum MW;
 * prices within the zone's virtual range; then the curve and interval rules every bid has.
 */
function validateVirtual(
  bid: VirtualBidInput,
  now: Date,
  table: Readonly<Partial<Record<Iso, Readonly<VirtualRules>>>>,
): Issue[] {
  const issues: Issue[] = [];
  const add: AddIssue = (path, code, message) => issues.push({ path, code, message });
  const rules = table[bid.zone];
  if (!rules) {
    add("zone", "virtual_not_offered", `${bid.zone} does not offer virtual bids in OptiBid`);
    return issues;
  }
  if (!findLocation(rules, bid.location) && !rules.nodesEligible) {
    add(
      "location",
      "location_not_eligible",
      `location ${JSON.stringify(bid.location)} is not eligible for ${bid.zone} virtual bids; ` +
        `use one of ${rules.locations.map((l) => l.name).join(", ")}`,
    );
  }
  bid.segments.forEach((s, i) => {
    if (s.quantity < rules.minQuantityMw - MW_EPSILON) {
      add(
        `segments.${i}.quantity`,
        "quantity_below_minimum",
        `segments.${i}.quantity ${mw(s.quantity)} is below ${bid.zone}'s virtual minimum of ${mw(rules.minQuantityMw)}`,
      );
    }
  });
  curveIssues(bid, { cap: rules.priceCap, floor: rules.priceFloor }, add);
  timingIssues(bid, now, add);
  return issues;
}

/**
 * THE check of a virtual bid (the browser's and the server's): parse it, then its zone's virtual rules at `now`.
 * A listed location is stored as the ISO spells it. `table` is for tests of a zone without rules.
 */
export function checkVirtualBid(
  input: unknown,
  now: Date,
  table: Readonly<Partial<Record<Iso, Readonly<VirtualRules>>>> = VIRTUAL_RULES,
): { ok: true; bid: CheckedBid } | { ok: false; issues: Issue[] } {
  const parsed = virtualBidInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: issuesFromZod(parsed.error) };
  const issues = validateVirtual(parsed.data, now, table);
  if (issues.length) return { ok: false, issues };
  const b = parsed.data;
  const rules = table[b.zone]!;
  return {
    ok: true,
    bid: {
      kind: "virtual",
      asset_id: null,
      location: canonicalLocation(rules, b.location),
      zone: b.zone,
      market: "DA",
      interval_start: b.interval_start,
      interval_end: intervalEnd("DA", b.interval_start),
      side: b.side,
      segments: b.segments,
    },
  };
}

/** A ZodError of the bid schema as `Issue`s, with dotted paths. */
export function issuesFromZod(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ path: pathString(i.path), message: i.message, code: i.code }));
}

/**
 * THE check of a bid: parse it (`bidInputSchema`), then apply the market rules for its asset at `now`.
 * The bid with its zone and interval_end filled in, or every issue found (paths relative to the bid).
 */
export function checkBid(
  input: unknown,
  ctx: BidContext,
): { ok: true; bid: CheckedBid } | { ok: false; issues: Issue[] } {
  const parsed = bidInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: issuesFromZod(parsed.error) };
  const issues = validateBid(parsed.data, ctx);
  if (issues.length) return { ok: false, issues };
  const b = parsed.data;
  return {
    ok: true,
    bid: {
      kind: "physical",
      asset_id: b.asset_id,
      location: null,
      zone: ctx.asset.zone,
      market: b.market,
      interval_start: b.interval_start,
      interval_end: intervalEnd(b.market, b.interval_start),
      side: b.side,
      segments: b.segments,
    },
  };
}

/**
 * A bid (checked, or as stored) as the input that creates it: a physical bid names its asset, a virtual one
 * its kind and location; nothing else (the API's objects are strict).
 */
export function bidBody(
  b: Pick<CheckedBid, "kind" | "asset_id" | "location" | "zone" | "market" | "interval_start" | "side" | "segments">,
): Record<string, unknown> {
  const { zone, market, interval_start, side, segments } = b;
  return b.kind === "virtual"
    ? { kind: "virtual", zone, location: b.location, market, interval_start, side, segments }
    : { asset_id: b.asset_id, zone, market, interval_start, side, segments };
}

/** Whether an input asks for a virtual bid (`kind: "virtual"`); anything else is checked as physical. */
export function isVirtualInput(input: unknown): boolean {
  return typeof input === "object" && input !== null && (input as { kind?: unknown }).kind === "virtual";
}
