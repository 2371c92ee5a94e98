/**
 * Virtual trading per zone, as data: whether the zone takes virtual (INC/DEC) positions, its rules, and the
 * pricing locations OptiBid offers for them (hubs, zones) with their sources.
 *
 * Browser-safe (no imports but types): the bid builder lists the locations and checks the rules as you type.
 * As in services/market/zones.ts, "(from memory)" marks a value taken from the named document without
 * re-reading it for this module; check the ISO's current manual before relying on a value.
 */
import type { Iso } from "../market/zones.ts";

export interface PricingLocation {
  /** The name the ISO publishes prices under (PJM's `pnode_name`, ERCOT's settlement point, …). */
  name: string;
  kind: "hub" | "zone";
  /**
   * The location whose price OptiBid's zone-wide price (market_prices, the simulator's or the replayed feed's)
   * stands for: a virtual bid there clears against it when no location price of its own was published.
   */
  reference?: boolean;
}

export interface VirtualRules {
  /** What the ISO calls the product. */
  product: string;
  /** Smallest MW of one segment. */
  minQuantityMw: number;
  /** Price range of a virtual offer/bid segment, $/MWh. */
  priceFloor: number;
  priceCap: number;
  /** Whether a node other than the listed hubs/zones is eligible (its name is then taken as the ISO spells it). */
  nodesEligible: boolean;
  locations: readonly PricingLocation[];
  /** Where the rules and the location list come from. */
  source: string;
}

const hubs = (names: string[], reference: string): PricingLocation[] =>
  names.map((name) => ({ name, kind: "hub", ...(name === reference ? { reference: true } : {}) }));

/**
 * Zones without an entry refuse virtual bids (`virtual_not_offered`). All seven have one today; the table
 * is data so that a zone can be switched off (or a rule changed) in one place.
 */
export const VIRTUAL_RULES: Readonly<Partial<Record<Iso, Readonly<VirtualRules>>>> = Object.freeze({
  PJM: {
    product: "Increment offers and decrement bids (INC/DEC)",
    minQuantityMw: 0.1,
    priceFloor: -1000,
    priceCap: 1000,
    // FERC order on PJM's virtual bidding locations (2020, ER20-1331; from memory): INC/DEC limited to hubs,
    // zones, interfaces and aggregates, so single buses are not eligible.
    nodesEligible: false,
    // The 12 hubs of PJM Data Miner 2 feeds da_hrl_lmps / rt_hrl_lmps (type HUB), as in ../shared/data.
    locations: hubs([
      "AEP GEN HUB",
      "AEP-DAYTON HUB",
      "ATSI GEN HUB",
      "CHICAGO GEN HUB",
      "CHICAGO HUB",
      "DOMINION HUB",
      "EASTERN HUB",
      "N ILLINOIS HUB",
      "NEW JERSEY HUB",
      "OHIO HUB",
      "WEST INT HUB",
      "WESTERN HUB",
    ], "WESTERN HUB"),
    source: "PJM Manual 11 §10 Virtual Transactions (0.1 MW minimum, ±$1,000/MWh; from memory); " +
      "hub list: PJM Data Miner 2 da_hrl_lmps, type HUB",
  },
  MISO: {
    product: "Virtual supply offers and virtual demand bids",
    minQuantityMw: 0.1,
    priceFloor: -500,
    priceCap: 1000,
    nodesEligible: true, // commercial pricing nodes (MISO BPM-002 Energy and Operating Reserve Markets; from memory)
    // MISO's eight trading hubs (MISO market reports, "LMP" hub names; the same names services/market/replay.ts knows).
    locations: hubs([
      "ARKANSAS.HUB",
      "ILLINOIS.HUB",
      "INDIANA.HUB",
      "LOUISIANA.HUB",
      "MICHIGAN.HUB",
      "MINN.HUB",
      "MS.HUB",
      "TEXAS.HUB",
    ], "INDIANA.HUB"),
    source: "MISO BPM-002 §4 Virtual transactions (0.1 MW, −$500 to $1,000/MWh; from memory); MISO hub list",
  },
  NYISO: {
    product: "Virtual supply and virtual load",
    minQuantityMw: 1,
    priceFloor: -1000,
    priceCap: 1000,
    // NYISO Market Services Tariff §5.2 / Market Participant User's Guide (from memory): virtual trading is
    // at the 11 load zones only.
    nodesEligible: false,
    locations: [
      "CAPITL",
      "CENTRL",
      "DUNWOD",
      "GENESE",
      "HUD VL",
      "LONGIL",
      "MHK VL",
      "MILLWD",
      "N.Y.C.",
      "NORTH",
      "WEST",
    ]
      .map((name) => ({ name, kind: "zone" as const, ...(name === "N.Y.C." ? { reference: true } : {}) })),
    source: "NYISO MST §5.2 and Market Participant User's Guide §4 (load zones only, 1 MW, ±$1,000; from memory)",
  },
  ISONE: {
    product: "Increment offers and decrement bids",
    minQuantityMw: 0.1,
    priceFloor: -150,
    priceCap: 1000,
    nodesEligible: true, // any node, zone or the hub (ISO-NE Market Rule 1 §III.1.10.1A; from memory)
    locations: [
      { name: ".H.INTERNAL_HUB", kind: "hub", reference: true },
      ...[
        ".Z.MAINE",
        ".Z.NEWHAMPSHIRE",
        ".Z.VERMONT",
        ".Z.CONNECTICUT",
        ".Z.RHODEISLAND",
        ".Z.SEMASS",
        ".Z.WCMASS",
        ".Z.NEMASSBOST",
      ]
        .map((name) => ({ name, kind: "zone" as const })),
    ],
    source: "ISO-NE Market Rule 1 §III.1.10.1A (0.1 MW, −$150 to $1,000/MWh; from memory); ISO-NE hub and load zones",
  },
  CAISO: {
    product: "Convergence bids (virtual supply and demand)",
    minQuantityMw: 0.1,
    priceFloor: -150,
    priceCap: 1000,
    nodesEligible: true, // eligible PNodes and trading hubs (CAISO tariff §30.9; from memory)
    locations: hubs(["TH_NP15_GEN-APND", "TH_SP15_GEN-APND", "TH_ZP26_GEN-APND"], "TH_SP15_GEN-APND"),
    source: "CAISO tariff §30.9 Convergence Bidding, BPM for Market Instruments (from memory); CAISO trading hubs",
  },
  SPP: {
    product: "Virtual energy offers and bids",
    minQuantityMw: 0.1,
    priceFloor: -500,
    priceCap: 1000,
    nodesEligible: true, // settlement locations (SPP Integrated Marketplace Protocols §4.2; from memory)
    locations: hubs(["SPPNORTH_HUB", "SPPSOUTH_HUB"], "SPPNORTH_HUB"),
    source: "SPP Integrated Marketplace Protocols §4.2.2.3 Virtual Energy (from memory); SPP hubs",
  },
  ERCOT: {
    product: "DAM energy-only offers and energy bids",
    minQuantityMw: 0.1,
    priceFloor: -250,
    priceCap: 5000,
    nodesEligible: true, // any settlement point (ERCOT Nodal Protocols §4.4.10–4.4.11; from memory)
    locations: hubs(["HB_HOUSTON", "HB_NORTH", "HB_SOUTH", "HB_WEST", "HB_PAN", "HB_BUSAVG", "HB_HUBAVG"], "HB_HUBAVG"),
    source: "ERCOT Nodal Protocols §4.4.10 DAM Energy-Only Offers, §4.4.11 DAM Energy Bids (from memory); ERCOT hubs",
  },
});

/** A location as the ISO spells it, compared without case or surrounding spaces. */
export function normalizeLocation(name: string): string {
  return name.trim().toUpperCase();
}

/** The listed location of that name in the zone, if any. */
export function findLocation(rules: VirtualRules, name: string): PricingLocation | undefined {
  const n = normalizeLocation(name);
  return rules.locations.find((l) => normalizeLocation(l.name) === n);
}

/**
 * How a location is stored (bids.location, location_prices.location): a listed location as the list spells it,
 * any other (an eligible node) as normalized. Bids and prices meet on this spelling.
 */
export function canonicalLocation(rules: VirtualRules | undefined, name: string): string {
  return (rules && findLocation(rules, name)?.name) ?? normalizeLocation(name);
}

/** The zone's reference location (whose price market_prices carries). */
export function referenceLocation(rules: VirtualRules): string {
  return (rules.locations.find((l) => l.reference) ?? rules.locations[0]).name;
}
