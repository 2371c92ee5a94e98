/**
 * The trader's first screen, read for one organization at one instant: open positions, the next gate per
 * zone, tomorrow's DA prices (or the forecast until they are out), today's DA–RT spread, P&L today and
 * this week, and the latest market outcomes. `now` is a parameter so tests pin the clock.
 */
import type { Queryable } from "../../db/database.ts";
import { addDays, localDate, localDayBounds } from "../market/clock.ts";
import { type Iso, ISOS, operatingDate, ZONES } from "../market/zones.ts";
import { type Gate, nextGates } from "./gates.ts";
import { forecastsAsOf } from "../forecast_live/store.ts";
import { pnl, type PnlTotal } from "../bids/pnl.ts";
import { noticeLevel, noticeText } from "../bids/notice.ts";
import { hourEndingLabel as hourEnding } from "../market/market_time.ts";
import { hourlyPrices, latestOutcomes, positionBids } from "./store.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface Position {
  asset_id: string;
  asset_name: string;
  zone: string;
  /** "today" or "tomorrow" on the zone's market clock. */
  day: "today" | "tomorrow";
  date: string;
  /** Hours with a DA award (cleared or settled), their energy (+ sold, − bought) and mean price. */
  awarded_hours: number;
  awarded_mwh: number;
  avg_price: number | null;
  /** Submitted, not yet cleared. */
  pending: number;
  drafts: number;
}

export interface TomorrowPrices {
  zone: Iso;
  date: string;
  /** Published DA prices, else the latest forecast made by now, else nothing yet. */
  source: "published" | "forecast" | "none";
  hours: { start: string; label: string; value: number; p10: number | null; p90: number | null }[];
  avg: number | null;
  min: number | null;
  max: number | null;
  /** Hour-ending label of the highest hour. */
  peak: string | null;
}

export interface Spread {
  zone: Iso;
  date: string;
  /** Hours of today with both a DA price and RT prices. */
  hours: number;
  da_avg: number | null;
  rt_avg: number | null;
  /** Mean of (DA − RT) over those hours, $/MWh. */
  spread: number | null;
}

export interface Alert {
  at: string;
  bid_id: string;
  level: "info" | "warning";
  status: string;
  title: string;
  message: string;
}

export interface TraderDashboard {
  now: string;
  positions: Position[];
  gates: Gate[];
  tomorrow: TomorrowPrices[];
  spreads: Spread[];
  pnl: { time_zone: string; today: PnlTotal; week: PnlTotal };
  alerts: Alert[];
}

export type { Gate };

const round2 = (v: number) => Math.round(v * 100) / 100;
const mean = (xs: number[]) => xs.length ? round2(xs.reduce((s, x) => s + x, 0) / xs.length) : null;

export async function traderDashboard(
  q: Queryable,
  orgId: string,
  opts: { now?: Date; timeZone?: string; alerts?: number } = {},
): Promise<TraderDashboard> {
  const now = opts.now ?? new Date();
  const t = now.getTime();
  const userTz = opts.timeZone ?? "UTC";
  // Every zone's today and tomorrow lie within a day and a half either side of now.
  const windowFrom = new Date(t - 2 * DAY_MS), windowTo = new Date(t + 3 * DAY_MS);

  const todayStart = localDayBounds(userTz, localDate(userTz, t))[0];
  const weekStart = localDayBounds(userTz, addDays(localDate(userTz, t), -6))[0];
  const todayEnd = localDayBounds(userTz, localDate(userTz, t))[1];

  const [bids, prices, outcomes, today, week, forecasts] = await Promise.all([
    positionBids(q, orgId, windowFrom, windowTo),
    hourlyPrices(q, windowFrom, windowTo),
    latestOutcomes(q, orgId, opts.alerts ?? 8),
    pnl(q, orgId, { from: new Date(todayStart), to: new Date(todayEnd), groupBy: "zone" }),
    pnl(q, orgId, { from: new Date(weekStart), to: new Date(todayEnd), groupBy: "zone" }),
    Promise.all(ISOS.map((zone) => {
      const [from, to] = localDayBounds(ZONES[zone].timeZone, addDays(operatingDate(zone, t), 1));
      return forecastsAsOf(q, zone, new Date(from), new Date(to), now);
    })),
  ]);

  return {
    now: now.toISOString(),
    positions: positionsOf(bids, t),
    gates: nextGates(now),
    tomorrow: ISOS.map((zone, i) => tomorrowOf(zone, t, prices, forecasts[i])),
    spreads: ISOS.map((zone) => spreadOf(zone, t, prices)),
    pnl: { time_zone: userTz, today: today.total, week: week.total },
    alerts: outcomes.map((o) => {
      const text = noticeText(o);
      return { at: o.at, bid_id: o.bid_id, level: noticeLevel(o.status), status: o.status, ...text };
    }),
  };
}

function positionsOf(bids: Awaited<ReturnType<typeof positionBids>>, t: number): Position[] {
  const byKey = new Map<string, Position & { priced: number; value: number; hours: Set<string> }>();
  for (const b of bids) {
    const zone = b.zone as Iso;
    const today = operatingDate(zone, t);
    const date = operatingDate(zone, Date.parse(b.interval_start));
    const day = date === today ? "today" : date === addDays(today, 1) ? "tomorrow" : null;
    if (!day) continue;
    const key = `${b.asset_id}|${day}`;
    let p = byKey.get(key);
    if (!p) {
      p = {
        asset_id: b.asset_id,
        asset_name: b.asset_name,
        zone,
        day,
        date,
        awarded_hours: 0,
        awarded_mwh: 0,
        avg_price: null,
        pending: 0,
        drafts: 0,
        priced: 0,
        value: 0,
        hours: new Set(),
      };
      byKey.set(key, p);
    }
    if (b.status === "submitted") p.pending++;
    else if (b.status === "draft") p.drafts++;
    else if (b.awarded_mw !== null && b.awarded_mw !== 0) {
      const hours = (Date.parse(b.interval_end) - Date.parse(b.interval_start)) / HOUR_MS;
      const signed = (b.side === "offer" ? 1 : -1) * b.awarded_mw * hours;
      // Two awards in one hour (two bids of the asset) are still one hour of position.
      p.hours.add(b.interval_start);
      p.awarded_hours = p.hours.size;
      p.awarded_mwh += signed;
      if (b.clearing_price !== null) {
        p.priced += Math.abs(signed);
        p.value += Math.abs(signed) * b.clearing_price;
      }
    }
  }
  return [...byKey.values()]
    .map(({ priced, value, hours: _hours, ...p }) => ({
      ...p,
      awarded_mwh: Math.round(p.awarded_mwh * 1000) / 1000,
      avg_price: priced > 0 ? round2(value / priced) : null,
    }))
    .sort((a, b) =>
      a.asset_name.localeCompare(b.asset_name) || a.asset_id.localeCompare(b.asset_id) ||
      (a.day === b.day ? 0 : a.day === "today" ? -1 : 1)
    );
}

type Forecasts = Awaited<ReturnType<typeof forecastsAsOf>>;

function tomorrowOf(
  zone: Iso,
  t: number,
  prices: Awaited<ReturnType<typeof hourlyPrices>>,
  forecasts: Forecasts,
): TomorrowPrices {
  const date = addDays(operatingDate(zone, t), 1);
  const [from, to] = localDayBounds(ZONES[zone].timeZone, date);
  const expected = (to - from) / HOUR_MS;
  const da = prices.filter((p) => p.zone === zone && p.start >= from && p.start < to && p.da !== null);
  let source: TomorrowPrices["source"] = "none";
  let hours: TomorrowPrices["hours"] = [];
  // A partial day is still being written by the feed: keep the forecast until every hour is in.
  if (da.length === expected) {
    source = "published";
    hours = da.map((p) => ({
      start: new Date(p.start).toISOString(),
      label: hourEnding(zone, p.start),
      value: p.da!,
      p10: null,
      p90: null,
    }));
  } else if (forecasts.length) {
    source = "forecast";
    hours = forecasts.map((f) => {
      const start = Date.parse(f.interval_start);
      return { start: f.interval_start, label: hourEnding(zone, start), value: f.p50, p10: f.p10, p90: f.p90 };
    });
  }
  const values = hours.map((h) => h.value);
  const peakAt = values.length ? values.indexOf(Math.max(...values)) : -1;
  return {
    zone,
    date,
    source,
    hours,
    avg: mean(values),
    min: values.length ? Math.min(...values) : null,
    max: values.length ? Math.max(...values) : null,
    peak: peakAt >= 0 ? hours[peakAt].label : null,
  };
}

function spreadOf(zone: Iso, t: number, prices: Awaited<ReturnType<typeof hourlyPrices>>): Spread {
  const date = operatingDate(zone, t);
  const [from] = localDayBounds(ZONES[zone].timeZone, date);
  // "So far": hours that have started, with both prices.
  const both = prices.filter((p) =>
    p.zone === zone && p.start >= from && p.start <= t && p.da !== null && p.rt !== null
  );
  return {
    zone,
    date,
    hours: both.length,
    da_avg: mean(both.map((p) => p.da!)),
    rt_avg: mean(both.map((p) => p.rt!)),
    spread: mean(both.map((p) => p.da! - p.rt!)),
  };
}
