/**
 * Simulated prices of the pricing locations a zone offers for virtual bids (services/bids/virtual_rules.ts):
 * each location's price is the zone's price plus a basis — the congestion and losses between that location
 * and the zone's reference point — so a virtual bid at any hub clears and settles in a running app.
 *
 * The basis of location L (hour H, 5-minute interval t) in $/MWh:
 *   DA(H) = μ_L + σ_L · X_L(H) + congestion episode (starts in 1 % of hours, binds 2–6 hours, 3–15 $/MWh in
 *           L's own direction sign(μ_L))
 *   RT(t) = DA(H of t) + σ_L/2 · η(t) + RT congestion event (1 % of intervals, 5–40 $/MWh, same direction)
 * μ_L ∈ [−2.5, 2.5] (L's usual premium or discount) and σ_L ∈ [0.8, 2.5] are fixed per seed and location;
 * X_L is an hourly AR(1) with φ = 0.75 and unit variance — mean-reverting, so a hub drifts away from the zone
 * for a few hours and comes back — written, as the simulator's processes are, as a truncated moving sum of
 * hashed shocks: every value is a pure function of (seed, zone, location, interval), so the live tick equals
 * the backfilled one. η is white noise. The zone's reference location has basis 0: its price IS the zone price.
 * Prices are rounded to cents and kept within the zone's [offerFloor, costBasedOfferCap].
 */
import { VIRTUAL_RULES } from "../bids/virtual_rules.ts";
import { hashState, mulberry32, normal } from "./simulator.ts";
import type { LocationPrice, Market, PriceTick } from "./types.ts";
import { type Iso, ISOS, ZONES } from "./zones.ts";

const HOUR = 3_600_000;
const PHI = 0.75;
const TERMS = 16; // φ¹⁶ ≈ 0.01: the shocks beyond are negligible
const NORM = Math.sqrt(1 - PHI * PHI); // unit stationary variance
const EPISODE_P = 0.01, MAX_EPISODE = 6, RT_EVENT_P = 0.01;

// Streams well clear of the simulator's own (1…15): 8 per location.
const S_HUB = 0x4855_0000;
const K_PARAMS = 0, K_HOURLY = 1, K_DA_EVENT = 2, K_RT_NOISE = 3, K_RT_EVENT = 4;

interface Location {
  name: string;
  reference: boolean;
  index: number;
  mean: number;
  sigma: number;
  direction: 1 | -1;
}

const zoneIndex = (zone: Iso) => ISOS.indexOf(zone);

/** The basis process of one seed, memoised per call site (a pure function: memoising changes only the cost). */
export class HubBasis {
  private locations = new Map<Iso, Location[]>();
  private hourly = new Map<string, number>();
  private shocks = new Map<string, number>();

  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  }

  private rand(zone: Iso, loc: number, kind: number, index: number): () => number {
    return mulberry32(hashState(this.seed, zoneIndex(zone), S_HUB + loc * 8 + kind, index));
  }

  /** The zone's listed pricing locations with their fixed parameters (none when it takes no virtual bids). */
  locationsOf(zone: Iso): readonly Location[] {
    let list = this.locations.get(zone);
    if (!list) {
      list = (VIRTUAL_RULES[zone]?.locations ?? []).map((l, index) => {
        const r = this.rand(zone, index, K_PARAMS, 0);
        const mean = -2.5 + 5 * r();
        return {
          name: l.name,
          reference: l.reference === true,
          index,
          mean,
          sigma: 0.8 + 1.7 * r(),
          direction: mean >= 0 ? 1 : -1,
        };
      });
      this.locations.set(zone, list);
    }
    return list;
  }

  private shock(zone: Iso, loc: number, hour: number): number {
    const key = `${zone}|${loc}|${hour}`;
    let v = this.shocks.get(key);
    if (v === undefined) this.shocks.set(key, v = normal(this.rand(zone, loc, K_HOURLY, hour)));
    return v;
  }

  /** DA basis of hour `hour` (ms since epoch / 1 h). */
  private daBasis(zone: Iso, l: Location, hour: number): number {
    const key = `${zone}|${l.index}|${hour}`;
    let v = this.hourly.get(key);
    if (v === undefined) {
      let x = 0, w = 1;
      for (let k = 0; k < TERMS; k++, w *= PHI) x += w * this.shock(zone, l.index, hour - k);
      // A congestion episode starts in 1 % of hours and binds for 2–6 hours: the largest one still running counts.
      let event = 0;
      for (let k = 0; k < MAX_EPISODE; k++) {
        const e = this.rand(zone, l.index, K_DA_EVENT, hour - k);
        if (e() >= EPISODE_P) continue;
        const hours = 2 + Math.floor(e() * (MAX_EPISODE - 1));
        if (k < hours) event = Math.max(event, 3 + 12 * e());
      }
      v = l.mean + l.sigma * NORM * x + l.direction * event;
      this.hourly.set(key, v);
    }
    return v;
  }

  /** The basis of location `l` for the interval starting at `start` (ms): hourly for DA, 5-minute for RT. */
  basis(zone: Iso, l: Location, market: Market, start: number): number {
    if (l.reference) return 0;
    const da = this.daBasis(zone, l, Math.floor(start / HOUR));
    if (market === "DA") return da;
    const index = Math.floor(start / 300_000);
    const noise = normal(this.rand(zone, l.index, K_RT_NOISE, index));
    const e = this.rand(zone, l.index, K_RT_EVENT, index);
    const event = e() < RT_EVENT_P ? l.direction * (5 + 35 * e()) : 0;
    return da + (l.sigma / 2) * noise + event;
  }
}

/** The price of every listed location of each tick's zone, for the tick's market and interval. */
export function hubPrices(ticks: readonly PriceTick[], seed: number, basis = new HubBasis(seed)): LocationPrice[] {
  const out: LocationPrice[] = [];
  for (const t of ticks) {
    const { offerFloor, costBasedOfferCap } = ZONES[t.zone];
    const start = Date.parse(t.interval_start);
    for (const l of basis.locationsOf(t.zone)) {
      const lmp = Math.round((t.lmp + basis.basis(t.zone, l, t.market, start)) * 100) / 100;
      out.push({
        zone: t.zone,
        location: l.name,
        market: t.market,
        interval_start: t.interval_start,
        interval_end: t.interval_end,
        lmp: Math.min(costBasedOfferCap, Math.max(offerFloor, lmp)),
      });
    }
  }
  return out;
}
