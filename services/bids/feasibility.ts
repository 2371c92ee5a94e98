/**
 * Can the asset deliver all of its live bids at once? Pure (no I/O, no clock), so it is tested on its own
 * and services/bids/commitment.ts only adds the lock and the query around it. Browser-safe (it imports the
 * zone rules and the bid schema only): the day grid (components/day_grid.ts) runs the same check as you type.
 *
 * The rules, assuming every live bid is awarded in full (the market may take all of it):
 * - Power per side: at every instant, the MW offered (discharge / generation) by the asset's live bids
 *   together stay within its discharge power (capacity for non-storage), the MW bid (charge) within its
 *   charge power. DA and RT bids count together: both are physical commitments of the same machine.
 * - Storage never charges and discharges at the same instant: a live offer and a live bid may not overlap.
 *   Netting them instead would let a trader sell energy while buying it in the same interval; with both
 *   awarded in full the asset would have to do both, which it cannot.
 * - Storage energy, per operating day of the asset's zone: the state of charge stays within
 *   [min_soc, max_soc] × energy_mwh throughout the day for SOME starting state of charge in that range.
 *   The asset has no declared initial state of charge (db/migrations/005_assets_bids.sql), so the day is
 *   feasible when the swing it needs (fullest minus emptiest point of the energy path) fits the usable
 *   energy. Each day is judged on its own: the state at the end of one day is not carried into the next
 *   (a relaxation, stated so nobody relies on a cross-midnight check). Round-trip efficiency is split
 *   evenly: a MWh charged stores √η MWh, a MWh discharged draws 1/√η MWh.
 *
 * Live bids are the ones the market holds or has awarded: `submitted` (full quantity), `cleared` and
 * `settled` (their `awarded_mw` when known). Drafts, rejected and withdrawn bids commit nothing.
 */
import type { Market } from "../market/types.ts";
import { operatingDate } from "../market/zones.ts";
import type { AssetLimits, BidSide, BidStatus, Issue, Segment } from "./schema.ts";
import { sideLimitMw } from "./schema.ts";

/** Statuses whose MW the asset owes. Everything else (draft, rejected, withdrawn) commits nothing. */
export const LIVE_STATUSES = ["submitted", "cleared", "settled"] as const satisfies readonly BidStatus[];

export function isLive(status: BidStatus): boolean {
  return (LIVE_STATUSES as readonly string[]).includes(status);
}

/** The asset as the energy rules need it: `AssetView` fits as it is (nulls for non-storage). */
export interface StorageLimits extends AssetLimits {
  energy_mwh?: number | null;
  round_trip_efficiency?: number | null;
  min_soc?: number | null;
  max_soc?: number | null;
}

/** A bid as the rules need it: a stored row (`BidView`) or a candidate about to become live. */
export interface CommitmentBid {
  id?: string;
  market: Market;
  interval_start: string | Date;
  interval_end: string | Date;
  side: BidSide;
  segments: readonly Segment[];
  /** Absent for a candidate: it is about to be submitted. */
  status?: BidStatus;
  awarded_mw?: number | null;
}

export type FeasibilityCode = "side_capacity_exceeded" | "simultaneous_charge_discharge" | "energy_infeasible";

/** Float noise on sums of MW and MWh (quantities are stored to 3 decimals, so nothing a user typed). */
const MW_EPSILON = 1e-9;
const MWH_EPSILON = 1e-6;
const HOUR_MS = 3_600_000;

const ms = (t: string | Date) => (typeof t === "string" ? Date.parse(t) : t.getTime());
const fmt = (x: number) => `${Number(x.toFixed(3))}`;
const isoOf = (t: number) => new Date(t).toISOString().replace(":00.000Z", "Z");

/** The MW a bid commits the asset to, if awarded as assumed. */
export function committedMw(bid: CommitmentBid): number {
  if ((bid.status === "cleared" || bid.status === "settled") && bid.awarded_mw != null) return bid.awarded_mw;
  let total = 0;
  for (const s of bid.segments) total += s.quantity;
  return total;
}

interface Span {
  start: number;
  end: number;
  side: BidSide;
  mw: number;
  label: string;
}

function spanOf(bid: CommitmentBid, label: string): Span {
  return { start: ms(bid.interval_start), end: ms(bid.interval_end), side: bid.side, mw: committedMw(bid), label };
}

/**
 * The time between consecutive start/end instants of `spans` inside [from, to), each with the MW offered
 * and bid over it (constant there, since no span starts or ends inside). Exact for any mix of hourly and
 * 5-minute intervals.
 */
function pieces(spans: readonly Span[], from: number, to: number) {
  const cuts = new Set<number>([from, to]);
  for (const s of spans) {
    if (s.start > from && s.start < to) cuts.add(s.start);
    if (s.end > from && s.end < to) cuts.add(s.end);
  }
  const times = [...cuts].sort((a, b) => a - b);
  const out: { start: number; end: number; offer: number; bid: number; active: Span[] }[] = [];
  for (let i = 0; i + 1 < times.length; i++) {
    const start = times[i], end = times[i + 1];
    const active = spans.filter((s) => s.start <= start && s.end >= end);
    let offer = 0, bid = 0;
    for (const s of active) s.side === "offer" ? (offer += s.mw) : (bid += s.mw);
    out.push({ start, end, offer, bid, active });
  }
  return out;
}

export interface EnergyPath {
  /** Highest and lowest energy relative to the day's start (MWh; the start is 0). */
  max: number;
  min: number;
}

/**
 * The energy path of a storage asset over the spans (assumed to lie in one day): the stored energy
 * relative to its value at the start, at its highest and lowest. Exported for the tests' reference check.
 */
export function energyPath(
  spans: readonly Pick<Span, "start" | "end" | "side" | "mw">[],
  efficiency: number,
): EnergyPath {
  const eta = Math.sqrt(efficiency);
  if (!spans.length) return { max: 0, min: 0 };
  let from = Infinity, to = -Infinity;
  for (const s of spans) {
    from = Math.min(from, s.start);
    to = Math.max(to, s.end);
  }
  let level = 0, max = 0, min = 0;
  for (const p of pieces(spans as Span[], from, to)) {
    const hours = (p.end - p.start) / HOUR_MS;
    level += (p.bid * eta - p.offer / eta) * hours;
    max = Math.max(max, level);
    min = Math.min(min, level);
  }
  return { max, min };
}

function describe(spans: readonly Span[]): string {
  return spans.map((s) => s.label).join(", ");
}

/**
 * Every way the asset's live bids plus the candidates would over-commit it; [] when all candidates may go
 * live together. Candidates are judged in order, each against the live bids and the candidates before it
 * that passed; a candidate's issues concern only the times it covers (its interval, and for storage its
 * operating day), so bids that no longer fit after an asset change do not block an unrelated interval.
 * Paths are the candidate's fields (`segments`, `side`); with several candidates they start with its
 * index (`2.segments`).
 */
export function feasibilityIssues(
  asset: StorageLimits,
  live: readonly CommitmentBid[],
  candidates: readonly CommitmentBid[],
): Issue[] {
  const issues: Issue[] = [];
  const accepted: Span[] = live
    .filter((b) => b.status === undefined || isLive(b.status))
    .map((b) =>
      spanOf(b, `${b.status ?? "live"} ${b.market} ${b.side}${b.id ? ` ${b.id}` : ""} of ${fmt(committedMw(b))} MW`)
    );
  const storage = asset.kind === "storage";
  candidates.forEach((candidate, index) => {
    const prefix = candidates.length > 1 ? `${index}.` : "";
    const own: Issue[] = [];
    const c = spanOf(candidate, "this bid");
    const overlapping = accepted.filter((s) => s.start < c.end && s.end > c.start);
    const limit = sideLimitMw(asset, c.side);
    const word = c.side === "offer" ? (storage ? "discharge" : "offer") : "charge";

    // Power: the worst instant of the candidate's interval, on its side.
    let worst: ReturnType<typeof pieces>[number] | null = null;
    let clash: ReturnType<typeof pieces>[number] | null = null;
    for (const p of pieces([...overlapping, c], c.start, c.end)) {
      const sum = c.side === "offer" ? p.offer : p.bid;
      if (!worst || sum > (c.side === "offer" ? worst.offer : worst.bid)) worst = p;
      if (storage && !clash && p.offer > MW_EPSILON && p.bid > MW_EPSILON) clash = p;
    }
    if (limit !== null && worst) {
      const sum = c.side === "offer" ? worst.offer : worst.bid;
      if (sum > limit + MW_EPSILON) {
        const others = worst.active.filter((s) => s !== c && s.side === c.side);
        own.push({
          path: `${prefix}segments`,
          code: "side_capacity_exceeded",
          message: `${prefix}segments: ${fmt(c.mw)} MW to ${word} in ${isoOf(worst.start)}–${isoOf(worst.end)}` +
            (others.length
              ? ` on top of ${fmt(sum - c.mw)} MW already live (${describe(others)}) makes ${fmt(sum)} MW,`
              : "") +
            ` more than the asset's ${storage ? `${word} power` : "capacity"} of ${fmt(limit)} MW`,
        });
      }
    }
    if (clash) {
      const others = clash.active.filter((s) => s !== c && s.side !== c.side);
      own.push({
        path: `${prefix}side`,
        code: "simultaneous_charge_discharge",
        message:
          `${prefix}side: a storage asset cannot ${word} in ${isoOf(clash.start)}–${isoOf(clash.end)} while a live ` +
          `${c.side === "offer" ? "charge bid" : "discharge offer"} covers it (${
            describe(others)
          }); withdraw one first`,
      });
    }

    // Energy: the candidate's operating day, every live bid of that day included.
    if (storage && asset.energy_mwh && asset.min_soc != null && asset.max_soc != null) {
      const day = operatingDate(asset.zone, c.start);
      const sameDay = accepted.filter((s) => operatingDate(asset.zone, s.start) === day);
      const path = energyPath([...sameDay, c], asset.round_trip_efficiency ?? 1);
      const usable = asset.energy_mwh * (asset.max_soc - asset.min_soc);
      const swing = path.max - path.min;
      if (swing > usable + MWH_EPSILON) {
        own.push({
          path: `${prefix}segments`,
          code: "energy_infeasible",
          message: `${prefix}segments: with this bid the live bids of ${asset.zone} operating day ${day} need the ` +
            `state of charge to swing by ${fmt(swing)} MWh (round-trip efficiency ` +
            `${fmt(asset.round_trip_efficiency ?? 1)}); the asset's usable energy is ${fmt(usable)} MWh ` +
            `(${fmt(asset.energy_mwh)} MWh between min_soc ${asset.min_soc} and max_soc ${asset.max_soc})`,
        });
      }
    }
    if (own.length) issues.push(...own);
    else accepted.push({ ...c, label: `bid ${index} of this request` });
  });
  return issues;
}
