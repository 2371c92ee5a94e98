/**
 * Ticks as rows on the realtime wire (see protocol.ts): no zod here, so the
 * islands' realtime client can use it without pulling the schemas in.
 */
import type { Market, PriceTick } from "../market/types.ts";
import type { Iso } from "../market/zones.ts";

/** The columns of a `prices` frame's rows. */
export const PRICE_FIELDS = [
  "zone",
  "market",
  "interval_start",
  "interval_end",
  "lmp",
  "energy",
  "congestion",
  "loss",
] as const;
/** A tick on the wire: interval start and end as epoch ms. */
export type PriceRow = [
  zone: Iso,
  market: Market,
  intervalStart: number,
  intervalEnd: number,
  lmp: number,
  energy: number,
  congestion: number,
  loss: number,
];

export function priceRow(t: PriceTick): PriceRow {
  return [
    t.zone,
    t.market,
    Date.parse(t.interval_start),
    Date.parse(t.interval_end),
    t.lmp,
    t.energy,
    t.congestion,
    t.loss,
  ];
}

export function tickOfRow(r: PriceRow): PriceTick {
  return {
    zone: r[0],
    market: r[1],
    interval_start: new Date(r[2]).toISOString(),
    interval_end: new Date(r[3]).toISOString(),
    lmp: r[4],
    energy: r[5],
    congestion: r[6],
    loss: r[7],
  };
}

/** The ticks of a `prices` frame. */
export function ticksOf(msg: { rows: readonly PriceRow[] }): PriceTick[] {
  return msg.rows.map(tickOfRow);
}
