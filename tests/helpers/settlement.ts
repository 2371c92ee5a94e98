/**
 * The shapes the settlement tests write their cases in, over the one settlement rule the app runs
 * (`settle` in services/bids/clearing.ts, called by services/bids/deviation.ts): an hour split into
 * even RT intervals, one interval on its own, and the net position of several awards.
 */
import { settle, type Settlement, signedMw } from "../../services/bids/clearing.ts";
import type { BidSide } from "../../services/bids/schema.ts";

/** An hourly DA position against the `n` even RT intervals of its hour (12 of 5 min, 4 of 15 min, 1 hourly). */
export function settleHour(
  daAwardMw: number,
  daLmp: number,
  rtIntervals: readonly { actualMw: number; rtLmp: number }[],
): Settlement {
  const hours = 1 / rtIntervals.length;
  return settle(
    { daAwardMw, daLmp, daHours: 1 },
    rtIntervals.map((r) => ({ rtLmp: r.rtLmp, actualMw: r.actualMw, hours })),
  );
}

/** One interval of `hours`: the DA position over that interval and the real-time deviation in it. */
export function settleInterval(i: {
  daAwardMw: number;
  daLmp: number;
  rtAwardMw?: number;
  actualMw?: number;
  rtLmp: number;
  hours: number;
}): Settlement {
  return settle({ daAwardMw: i.daAwardMw, daLmp: i.daLmp, daHours: i.hours }, [
    { rtLmp: i.rtLmp, hours: i.hours, actualMw: i.actualMw, rtAwardMw: i.rtAwardMw },
  ]);
}

/** Net signed MW of several awards of one asset and interval (storage with an offer and a bid). */
export function netPositionMw(awards: readonly { side: BidSide; awarded_mw: number }[]): number {
  let net = 0;
  for (const a of awards) net += signedMw(a.side, a.awarded_mw);
  return Math.round(net * 1e6) / 1e6;
}
