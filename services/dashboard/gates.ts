/**
 * The next DA gate of every zone, as the dashboard lists them. Pure and browser-safe: the countdown island
 * rolls a gate over to the next day's by itself when it closes, with the same rule as the server.
 */
import { type Iso, ISOS, nextGateClosure, ZONES } from "../market/zones.ts";

export interface Gate {
  zone: Iso;
  delivery_date: string;
  closes_at: string;
  time_zone: string;
  /** "10:30 EDT": the gate on the clock the ISO states it in, zone named. */
  local_time: string;
}

/** "10:30 EDT" on `tz`'s wall clock. */
function wallTime(tz: string, t: number): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).formatToParts(t);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("hour")}:${part("minute")} ${part("timeZoneName")}`;
}

export function nextGate(zone: Iso, now: Date): Gate {
  const g = nextGateClosure(zone, now);
  const tz = ZONES[zone].gateTimeZone;
  return {
    zone,
    delivery_date: g.deliveryDate,
    closes_at: g.closesAt.toISOString(),
    time_zone: tz,
    local_time: wallTime(tz, g.closesAt.getTime()),
  };
}

/** Soonest first (then by zone). */
export function nextGates(now: Date, zones: readonly Iso[] = ISOS): Gate[] {
  return zones.map((zone) => nextGate(zone, now))
    .sort((a, b) => a.closes_at.localeCompare(b.closes_at) || a.zone.localeCompare(b.zone));
}
