/**
 * What a trader reads when the market answers a bid: "Keystone Battery · PJM DA HE17: cleared 10 MW at
 * $53.44". The same words on a toast and in the dashboard's alerts, so they live in one place.
 *
 * Pure (no I/O): the hub's notifier and the dashboard's reads both call it with a bid they loaded.
 */
import { hourEndingLabel, intervalEndingLabel } from "../market/market_time.ts";
import { isIso } from "../market/zones.ts";

export interface NoticeBid {
  /** null for a virtual bid, which is named by its side and location instead. */
  asset_name: string | null;
  location?: string | null;
  side?: string;
  zone: string;
  market: "DA" | "RT";
  interval_start: string;
  interval_end: string;
  status: string;
  awarded_mw: number | null;
  clearing_price: number | null;
  revenue?: number | null;
  reject_reason: string | null;
}

/** "PJM DA HE17" or "CAISO RT IE 14:35": the market and the hour (or interval) in the market's clock. */
export function marketSlot(b: Pick<NoticeBid, "zone" | "market" | "interval_start" | "interval_end">): string {
  if (!isIso(b.zone)) return `${b.zone} ${b.market}`;
  const when = b.market === "DA"
    ? hourEndingLabel(b.zone, b.interval_start)
    : intervalEndingLabel(b.zone, b.interval_start, b.interval_end);
  return `${b.zone} ${b.market} ${when}`;
}

const money = (v: number) => `${v < 0 ? "−" : ""}$${Math.abs(v).toFixed(2)}`;
const mw = (v: number) => `${Number(v.toFixed(3))} MW`;

/** What happened, after the colon: "cleared 10 MW at $53.44", "rejected: gate closed", "settled: +$534.40". */
export function outcomeText(
  b: Pick<NoticeBid, "status" | "awarded_mw" | "clearing_price" | "revenue" | "reject_reason">,
) {
  switch (b.status) {
    case "cleared":
      return b.awarded_mw === null
        ? "cleared"
        : `cleared ${mw(b.awarded_mw)}${b.clearing_price === null ? "" : ` at ${money(b.clearing_price)}`}`;
    case "rejected":
      return b.reject_reason ? `rejected: ${b.reject_reason}` : "rejected";
    case "settled":
      return typeof b.revenue === "number" ? `settled ${b.revenue >= 0 ? "+" : ""}${money(b.revenue)}` : "settled";
    default:
      return b.status;
  }
}

/** The whole line: "Keystone Battery · PJM DA HE17: cleared 10 MW at $53.44". */
export function noticeText(b: NoticeBid): { title: string; message: string } {
  const title = `${b.asset_name ?? `Virtual ${(b.side ?? "").toUpperCase()} ${b.location ?? ""}`.trim()} · ${
    marketSlot(b)
  }`;
  return { title, message: `${title}: ${outcomeText(b)}` };
}

/** A rejection needs the trader to act; a clearing or settlement is news. */
export function noticeLevel(status: string): "info" | "warning" {
  return status === "rejected" ? "warning" : "info";
}
