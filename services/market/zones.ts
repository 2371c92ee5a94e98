/**
 * The seven US ISOs/RTOs OptiBid bids into, and the market rules a bid has to respect there.
 *
 * Every figure carries its source. "(from memory)" marks a value taken from the named document without
 * re-reading it for this module; a secondary source (trade press, a consultancy's summary) or an
 * approximation is named as such. Check the ISO's current tariff or manual before relying on a value
 * for settlement.
 */
import { z } from "zod";
import { addDays, localDate, zonedTimeToUtc } from "./clock.ts";

export const ISOS = ["PJM", "CAISO", "ERCOT", "NYISO", "MISO", "SPP", "ISONE"] as const;
export type Iso = typeof ISOS[number];

/** "HH:MM" on a 24-hour clock. */
export type LocalTime = `${number}:${number}`;

export interface ZoneRules {
  zone: Iso;
  /** Display name. */
  name: string;
  /**
   * IANA zone of the market clock: operating days and hours are counted on it, so a DA day has 23 or
   * 25 hours where this zone observes DST.
   */
  timeZone: string;
  /** Day-ahead gate closure on the day before delivery, as local time in `gateTimeZone`. */
  daGateClosure: LocalTime;
  /** Usually `timeZone`; differs for MISO (operating day on EST, deadlines on Eastern prevailing time). */
  gateTimeZone: string;
  /** When DA results are normally published on the day before delivery (approximate; `gateTimeZone`). */
  daResultsPublished: LocalTime;
  /** Real-time pricing interval, minutes. */
  rtIntervalMinutes: number;
  /** Cap on market-based incremental energy offers, $/MWh. */
  offerCap: number;
  /**
   * Cap on cost-verified offers above `offerCap` (FERC Order 831: the higher of $1,000 or verified cost,
   * capped at $2,000 for setting LMPs), $/MWh. Equal to `offerCap` where no such tier exists.
   * The simulator clamps prices to [offerFloor, costBasedOfferCap].
   */
  costBasedOfferCap: number;
  /** Lowest energy offer price accepted, $/MWh. */
  offerFloor: number;
  /** Price/quantity segments an energy offer curve may have (OptiBid's bid builder limit). */
  maxOfferSegments: number;
  /** Negative LMPs are a routine occurrence (solar at midday, wind at night), not an anomaly. */
  negativePricesCommon: boolean;
  /**
   * How far ahead OptiBid accepts a day-ahead bid: delivery days up to this many days after the current
   * operating day. OptiBid's policy, not the ISO's: a far-dated bid (2030 for 2026) is almost always a typo,
   * and the asset's limits and the market's rules may change before then.
   */
  daHorizonDays: number;
  /** How far ahead OptiBid accepts a real-time bid: intervals starting within this many hours (policy). */
  rtHorizonHours: number;
}

/** OptiBid's bid horizon, the same in every zone today (`ZoneRules.daHorizonDays`, `rtHorizonHours`). */
const HORIZON = { daHorizonDays: 7, rtHorizonHours: 24 } as const;

export const ZONES: Readonly<Record<Iso, Readonly<ZoneRules>>> = Object.freeze(
  {
    PJM: {
      zone: "PJM",
      name: "PJM Interconnection",
      timeZone: "America/New_York", // PJM Manual 11: all market times are Eastern Prevailing Time (EPT)
      // PJM Inside Lines, "Tariff Changes Align Gas and Electric Day-Ahead Markets" (FERC Order 809
      // compliance, effective 2016-04-01): "Generator offers due at 10:30 a.m. (eastern)".
      daGateClosure: "10:30",
      gateTimeZone: "America/New_York",
      // Same source: "Results will be posted upon completion between noon and 1:30 p.m." (the latest time is kept).
      daResultsPublished: "13:30",
      rtIntervalMinutes: 5, // PJM five-minute settlement since 2018 (PJM Manual 28; from memory)
      // FERC Order 831 (Federal Register 2016-28320) as summarised for PJM by PCI Energy Solutions, "FERC
      // Order 831: Offer Caps … – PJM" (2018): offers capped at the higher of $1,000/MWh or verified cost,
      // with $2,000/MWh the maximum offer eligible to set LMPs.
      offerCap: 1000,
      costBasedOfferCap: 2000,
      // UNVERIFIED: no PJM tariff text for a negative offer floor was found while writing this; −$1,000
      // is a conservative bound. Negative PJM prices are rare (0.3% of RT hub-hours in May–Jul 2025).
      offerFloor: -1000,
      maxOfferSegments: 10, // PJM Manual 11 offer curves: 10 segments (from memory; OptiBid's uniform limit)
      negativePricesCommon: false,
      ...HORIZON,
    },
    CAISO: {
      zone: "CAISO",
      name: "California ISO",
      timeZone: "America/Los_Angeles", // CAISO markets run on Pacific Prevailing Time
      // CAISO BPM for Market Operations: DAM bid submission closes at 10:00 a.m. the day before (from memory).
      daGateClosure: "10:00",
      gateTimeZone: "America/Los_Angeles",
      daResultsPublished: "13:00", // BPM for Market Operations: DAM results at 1:00 p.m. (from memory, approximate)
      rtIntervalMinutes: 5, // Real-Time Dispatch (RTD) 5-minute intervals (the FMM is 15-minute)
      // CAISO Order 831 compliance filing (ER19-2757, tariff §39.6.1 bid caps; from memory): soft energy bid
      // cap $1,000, cost-verified bids up to the $2,000 hard cap; energy bid floor −$150/MWh.
      offerCap: 1000,
      costBasedOfferCap: 2000,
      offerFloor: -150,
      maxOfferSegments: 10, // CAISO BPM for Market Instruments: energy bid curves of up to 10 segments (from memory)
      negativePricesCommon: true, // midday solar surplus, notably in spring
      ...HORIZON,
    },
    ERCOT: {
      zone: "ERCOT",
      name: "ERCOT (Texas)",
      timeZone: "America/Chicago", // ERCOT runs on Central Prevailing Time
      // ERCOT Nodal Protocols §4.1.2 (Day-Ahead Process and Timing) and ERCOT's daily market timeline
      // (1000 DAM close, 1330 DAM results).
      daGateClosure: "10:00",
      gateTimeZone: "America/Chicago",
      daResultsPublished: "13:30",
      // SCED runs every 5 minutes; note ERCOT settles real-time on 15-minute Settlement Point Prices.
      rtIntervalMinutes: 5,
      // PUCT Substantive Rule 25.505(g): high system-wide offer cap (HCAP), lowered from $9,000 to $5,000/MWh
      // in 2022 (PUCT Project 52631; from memory). ERCOT is not FERC-jurisdictional: no Order 831 tier.
      offerCap: 5000,
      costBasedOfferCap: 5000,
      offerFloor: -250, // ERCOT Nodal Protocols §4.4.9 energy offer curves: floor −$250/MWh (from memory)
      maxOfferSegments: 10, // ERCOT energy offer curves: up to 10 price/quantity pairs (from memory)
      negativePricesCommon: true, // West Texas wind at night, solar at midday
      ...HORIZON,
    },
    NYISO: {
      zone: "NYISO",
      name: "New York ISO",
      timeZone: "America/New_York",
      // NYISO Market Services Tariff §4.2.1.1: DAM bids "by 5 a.m. on the day prior to the Dispatch Day".
      daGateClosure: "05:00",
      gateTimeZone: "America/New_York",
      daResultsPublished: "11:00", // NYISO Day-Ahead Scheduling Manual: DAM results by 11:00 a.m. (from memory)
      rtIntervalMinutes: 5, // Real-Time Dispatch, 5-minute intervals
      // NYISO MST Attachment F §21.4: "the Bid Restriction … shall be ± $1,000/MWh"; Order 831 compliance
      // adds cost-verified offers up to $2,000/MWh.
      offerCap: 1000,
      costBasedOfferCap: 2000,
      offerFloor: -1000,
      // NYISO allows more points on some curves; 10 is OptiBid's uniform bid-builder limit.
      maxOfferSegments: 10,
      negativePricesCommon: false,
      ...HORIZON,
    },
    MISO: {
      zone: "MISO",
      name: "Midcontinent ISO",
      // MISO keeps its market on Eastern Standard Time all year (NYMEX note on MISO hours; MISO:
      // "24 hours offer data based on Eastern Standard Time"), so a fixed UTC−5 zone: every MISO
      // operating day has 24 hours. (IANA "Etc/GMT+5" means UTC−5; the sign is POSIX-inverted.)
      timeZone: "Etc/GMT+5",
      // MISO knowledge base KA-01016 / KA-01025: bids and offers must be in before the DA market closes
      // at "1030 Eastern Prevailing Time" — the deadline follows EPT even though the operating day is EST.
      daGateClosure: "10:30",
      gateTimeZone: "America/New_York",
      // RTO Insider on MISO's Order 809 compliance: results "published by 1:30 p.m. EPT"; MISO KA-01019
      // says DA responses normally come 13:30–14:00 EPT.
      daResultsPublished: "13:30",
      rtIntervalMinutes: 5, // five-minute settlement since 2021 (FERC Order 825)
      // FERC Order 831 as implemented by MISO: $1,000 offer cap, cost-verified up to $2,000.
      offerCap: 1000,
      costBasedOfferCap: 2000,
      offerFloor: -500, // MISO BPM-002 Energy and Operating Reserve Markets: offer floor −$500/MWh (from memory)
      maxOfferSegments: 10, // MISO BPM-002: 10 offer curve blocks (from memory; OptiBid's uniform limit)
      negativePricesCommon: false, // wind drives some negative nodal prices in the west, not at the hubs
      ...HORIZON,
    },
    SPP: {
      zone: "SPP",
      name: "Southwest Power Pool",
      timeZone: "America/Chicago",
      // RTO Insider, "SPP Moving to 9:30 Day-Ahead Close" (Order 809 compliance): DA offers due 9:30 a.m. CT,
      // results posted at 2 p.m. CT (approximate).
      daGateClosure: "09:30",
      gateTimeZone: "America/Chicago",
      daResultsPublished: "14:00",
      rtIntervalMinutes: 5, // Real-Time Balancing Market, 5-minute dispatch intervals
      // Order 831 tier as elsewhere ($1,000, cost-verified to $2,000); floor −$500/MWh. Secondary source:
      // progridpy's "SPP Market Rules" (offer price floor −$500, cap $2,000).
      offerCap: 1000,
      costBasedOfferCap: 2000,
      offerFloor: -500,
      maxOfferSegments: 10, // SPP EIS offer-curve data: "a maximum of 10 pairs for every hour"
      negativePricesCommon: true, // wind on the plains, mostly at night and in spring
      ...HORIZON,
    },
    ISONE: {
      zone: "ISONE",
      name: "ISO New England",
      timeZone: "America/New_York",
      // ISO-NE/NEPOOL filing of 2020-07-27, "Addition of Thirty Minutes to Day-Ahead Energy Market Submission
      // Window": the 10:00 a.m. close (in force since 2013-05-23, per FERC's acceptance) moves to 10:30 a.m.
      daGateClosure: "10:30",
      gateTimeZone: "America/New_York",
      daResultsPublished: "13:30", // 2013 schedule change: market clears at 1:30 p.m. (approximate after 2020)
      rtIntervalMinutes: 5, // five-minute settlement since 2017
      // ISO-NE Market Rule 1 (Order 831 compliance): $1,000 cap, cost-verified up to $2,000;
      // Energy Offer Floor −$150/MWh (from memory).
      offerCap: 1000,
      costBasedOfferCap: 2000,
      offerFloor: -150,
      maxOfferSegments: 10, // ISO-NE eMarket offer blocks (from memory; OptiBid's uniform limit)
      negativePricesCommon: false,
      ...HORIZON,
    },
  } satisfies Record<Iso, ZoneRules>,
);

const localTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/);

/** The JSON shape of `GET /api/market-data/zones`: one entry per ISO, in `ISOS` order. */
export const zoneRulesSchema = z.object({
  zone: z.enum(ISOS),
  name: z.string(),
  timeZone: z.string(),
  daGateClosure: localTimeSchema,
  gateTimeZone: z.string(),
  daResultsPublished: localTimeSchema,
  rtIntervalMinutes: z.number().int().positive(),
  offerCap: z.number(),
  costBasedOfferCap: z.number(),
  offerFloor: z.number(),
  maxOfferSegments: z.number().int().positive(),
  negativePricesCommon: z.boolean(),
  daHorizonDays: z.number().int().positive(),
  rtHorizonHours: z.number().int().positive(),
}).strict().meta({ id: "ZoneRules" });
export type ZoneRulesJson = z.infer<typeof zoneRulesSchema>;

/** Plain, JSON-serialisable copies of the rules (callers may mutate them without touching `ZONES`). */
export function zoneRulesJson(): ZoneRulesJson[] {
  return ISOS.map((iso) => ({ ...ZONES[iso] }));
}

export function isIso(value: string): value is Iso {
  return (ISOS as readonly string[]).includes(value);
}

/** The DA gate for `deliveryDate`: the day before, at the zone's gate time (DST-correct). */
export function gateClosureUtc(zone: Iso, deliveryDate: string): Date {
  const r = ZONES[zone];
  return zonedTimeToUtc(r.gateTimeZone, addDays(deliveryDate, -1), r.daGateClosure);
}

/** When the DA results for `deliveryDate` are normally out (approximate, see `daResultsPublished`). */
export function daResultsUtc(zone: Iso, deliveryDate: string): Date {
  const r = ZONES[zone];
  return zonedTimeToUtc(r.gateTimeZone, addDays(deliveryDate, -1), r.daResultsPublished);
}

/**
 * The next DA gate strictly after `now` and the delivery day it is for. At the gate instant itself the
 * gate is already closed (offers are due *before* it), so the answer moves to the next day.
 */
export function nextGateClosure(zone: Iso, now: Date): { deliveryDate: string; closesAt: Date } {
  const t = now.getTime();
  if (!Number.isFinite(t)) throw new RangeError("now is not a valid date");
  // The gate is on the day before delivery, so delivery is at least tomorrow (in the gate's zone).
  let deliveryDate = addDays(localDate(ZONES[zone].gateTimeZone, t), 1);
  for (;;) {
    const closesAt = gateClosureUtc(zone, deliveryDate);
    if (closesAt.getTime() > t) return { deliveryDate, closesAt };
    deliveryDate = addDays(deliveryDate, 1);
  }
}

/**
 * The first instant a bid's interval may no longer start at, bid at `now`: the start of the operating day
 * `daHorizonDays` after today's for DA (days of the market clock, DST-correct), `now` plus
 * `rtHorizonHours` for RT.
 */
export function bidHorizonEnd(zone: Iso, market: "DA" | "RT", now: Date): Date {
  const r = ZONES[zone];
  if (market === "RT") return new Date(now.getTime() + r.rtHorizonHours * 3_600_000);
  return zonedTimeToUtc(r.timeZone, addDays(operatingDate(zone, now), r.daHorizonDays + 1));
}

/** The market-clock calendar date (operating day) containing `instant`. */
export function operatingDate(zone: Iso, instant: Date | number): string {
  return localDate(ZONES[zone].timeZone, typeof instant === "number" ? instant : instant.getTime());
}
