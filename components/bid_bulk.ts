/**
 * The bid list's bulk actions as data: which selected bids an action applies to, and bids copied to
 * another operating day. Browser-safe and pure (tests/unit/bid_bulk_test.ts); the server still judges
 * every bid (a gate that closed meanwhile, a bid that changed).
 */
import type { BidRow } from "./bid_format.ts";
import { marketHour, operatingDayHours } from "../services/market/market_time.ts";
import { isIso, type Iso } from "../services/market/zones.ts";

export type BulkAction = "submit" | "withdraw" | "delete";

/** Statuses an action is offered for (the lifecycle table's; the gate is the server's to judge). */
const OFFERED: Record<BulkAction, readonly string[]> = {
  submit: ["draft"],
  withdraw: ["draft", "submitted"],
  delete: ["draft"],
};

export function applicable(rows: readonly BidRow[], action: BulkAction): BidRow[] {
  return rows.filter((r) => OFFERED[action].includes(r.status));
}

/** Withdrawals and deletes take a bid out for good: the list asks before it sends them. */
export function needsConfirmation(action: BulkAction): boolean {
  return action !== "submit";
}

/** The call that does `action` to one bid. */
export function bulkRequest(action: BulkAction, id: string): { method: "POST" | "DELETE"; url: string } {
  return action === "delete"
    ? { method: "DELETE", url: `/api/bids/${id}` }
    : { method: "POST", url: `/api/bids/${id}/${action}` };
}

/**
 * DA bids copied to operating day `date` of their zone, hour for hour by hour-ending label (HE2* falls back
 * to HE2; a spring day's missing hour is skipped and counted). RT bids are not copied (`skipped`).
 */
export function copyToDay(rows: readonly BidRow[], date: string) {
  const bids: Record<string, unknown>[] = [];
  let skipped = 0;
  for (const r of rows) {
    if (r.market !== "DA" || !isIso(r.zone)) {
      skipped++;
      continue;
    }
    const zone = r.zone as Iso;
    const label = marketHour(zone, r.interval_start).label;
    const day = operatingDayHours(zone, date);
    const target = day.find((h) => h.label === label) ?? day.find((h) => h.label === label.replace("*", ""));
    if (!target) {
      skipped++;
      continue;
    }
    bids.push({
      // A virtual bid is copied as one (its zone and location); a physical one for the same asset.
      ...(r.kind === "virtual" ? { kind: "virtual", zone: r.zone, location: r.location } : { asset_id: r.asset_id }),
      market: "DA",
      interval_start: target.start.toISOString(),
      side: r.side,
      segments: r.segments.map((s) => ({ price: s.price, quantity: s.quantity })),
    });
  }
  return { bids, skipped };
}
