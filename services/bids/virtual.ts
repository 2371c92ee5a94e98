/**
 * Virtual positions as pure functions: their notional exposure (what the credit limit counts) and their
 * settlement. A virtual bid clears in DA like a physical one (an INC as an offer, a DEC as a bid: clearing.ts)
 * and is liquidated at the real-time price of the same hour: it is a DA position with nothing delivered, so
 * its two-settlement (clearing.ts `settle`, actual = 0) is MW × DA for the DA leg and −MW × RT for the RT leg,
 * signed by side. Net: MW × (DA − RT) for an INC, MW × (RT − DA) for a DEC, minus the per-MWh fee.
 */
import { settle, signedMw } from "./clearing.ts";
import { clearingSide, type Segment, type VirtualSide } from "./schema.ts";

/**
 * The notional exposure of a virtual bid: Σ segments MW × |price| × hours, $. This is what the bid puts at
 * stake at the prices it names, and what a per-organization credit limit bounds (ISOs hold virtual credit
 * against MW × a reference price in the same way).
 */
export function notional(segments: readonly Segment[], hours = 1): number {
  let sum = 0;
  for (const s of segments) sum += s.quantity * Math.abs(s.price);
  return sum * hours;
}

export interface VirtualSettlement {
  da_revenue: number;
  rt_revenue: number;
  /** The per-MWh fee on the awarded MWh, $ (≥ 0, subtracted in `total`). */
  fee: number;
  total: number;
}

/**
 * `rt`: the real-time prices covering the bid's hour (one hourly price, or twelve 5-minute ones), each with
 * its length in hours. Not rounded: round once, when stored.
 */
export function settleVirtual(
  v: { side: VirtualSide; awardedMw: number; daLmp: number; hours?: number },
  rt: readonly { lmp: number; hours: number }[],
  feePerMwh: number,
): VirtualSettlement {
  const hours = v.hours ?? 1;
  const s = settle(
    { daAwardMw: signedMw(clearingSide(v.side), v.awardedMw), daLmp: v.daLmp, daHours: hours },
    rt.map((r) => ({ rtLmp: r.lmp, hours: r.hours, actualMw: 0 })),
  );
  const fee = v.awardedMw === 0 ? 0 : feePerMwh * v.awardedMw * hours;
  return { da_revenue: s.da_revenue, rt_revenue: s.rt_revenue, fee, total: s.total - fee };
}
