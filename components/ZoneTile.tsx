import type { ZoneOverview } from "../services/market/overview.ts";
import { Sparkline } from "./Sparkline.tsx";

const money = (v: number) => `$${v.toFixed(2)}`;

/** One zone on the dashboard: live RT price, change vs an hour ago, the hour's DA price, 24 h sparkline. */
export function ZoneTile({ z }: { z: ZoneOverview }) {
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
          {z.rt ? `RT ${z.rt.interval_start.slice(11, 16)} UTC` : "no data"}
        </span>
      </div>
      <p class="mt-1 text-2xl font-bold tabular-nums" data-field="rt">{z.rt ? money(z.rt.lmp) : "—"}</p>
      <p class="text-xs text-slate-500">per MWh, real-time</p>
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
