import type { ZoneOverview } from "../services/market/overview.ts";
import { clockAbbrev, intervalEndingLabel, intervalMinutes } from "../services/market/market_time.ts";
import { DEFAULT_UNITS, formatPrice, type Units } from "../services/market/units.ts";
import { Sparkline } from "./Sparkline.tsx";

/**
 * "RT IE 14:35 EST": the latest RT interval on the zone's market clock, interval-ending and named, as the
 * trader reads the ISO's own pages (UTC is for the API and CSV only).
 */
export function rtIntervalLabel(z: Pick<ZoneOverview, "zone" | "rt">): string {
  if (!z.rt) return "no data";
  const start = Date.parse(z.rt.interval_start);
  const end = start + intervalMinutes(z.zone, "RT") * 60_000;
  return `RT ${intervalEndingLabel(z.zone, start, end)} ${clockAbbrev(z.zone, start)}`;
}

/** One zone on the dashboard: live RT price, change vs an hour ago, the hour's DA price, 24 h sparkline. */
export function ZoneTile({ z, units = DEFAULT_UNITS }: { z: ZoneOverview; units?: Units }) {
  const money = (v: number) => formatPrice(v, units.price);
  const change = z.rt && z.rtHourAgo !== null ? z.rt.lmp - z.rtHourAgo : null;
  const up = change !== null && change > 0;
  const down = change !== null && change < 0;
  return (
    <a
      href={`/market/${z.zone}`}
      data-zone={z.zone}
      class="group block rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200 transition hover:ring-brand-500"
    >
      <div class="flex items-baseline justify-between">
        <h3 class="text-sm font-semibold tracking-wide text-slate-700">{z.zone}</h3>
        <span class="text-xs text-slate-500" data-field="time">
          {rtIntervalLabel(z)}
        </span>
      </div>
      <p class="mt-1 text-2xl font-bold tabular-nums" data-field="rt">{z.rt ? money(z.rt.lmp) : "—"}</p>
      <p class="text-xs text-slate-500">real-time</p>
      <div class="mt-2 flex items-center justify-between gap-2 text-xs">
        <span
          data-field="change"
          class={`tabular-nums font-medium ${up ? "text-emerald-600" : down ? "text-rose-600" : "text-slate-500"}`}
          title="Change vs an hour earlier"
        >
          {change === null ? "±—" : `${up ? "▲" : down ? "▼" : "■"} ${money(Math.abs(change))}`}
          <span class="ml-1 font-normal text-slate-500">vs 1h ago</span>
        </span>
        <span class="tabular-nums text-slate-600" data-field="da">DA {z.da === null ? "—" : money(z.da)}</span>
      </div>
      <div class="mt-2 text-brand-500">
        <Sparkline values={z.spark} width={220} height={36} label={`${z.zone} real-time price, last 24 hours`} />
      </div>
    </a>
  );
}
