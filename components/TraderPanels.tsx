/** The trader dashboard's server-rendered panels (services/dashboard/reads.ts gives their data). */
import type { ComponentChildren } from "preact";
import type { Alert, Position, Spread, TomorrowPrices } from "../services/dashboard/reads.ts";
import type { PnlTotal } from "../services/bids/pnl.ts";
import { formatUserTime } from "../services/market/market_time.ts";
import { formatEnergy, priceIn, type PriceUnit, type Units } from "../services/market/units.ts";

const usd = (v: number) =>
  `${v < 0 ? "−" : ""}$${Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const money = (v: number) => `${v > 0 ? "+" : ""}${usd(v)}`;
/** A $/MWh price in the reader's unit, short for tables: "$53.44" or "5.344¢" (the panel names the unit). */
function price(v: number | null, unit: PriceUnit, sign = false): string {
  if (v === null) return "—";
  const n = priceIn(v, unit);
  const digits = unit === "¢/kWh" ? 3 : 2;
  const abs = Math.abs(n).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const s = n < 0 ? "−" : sign && n > 0 ? "+" : "";
  return unit === "¢/kWh" ? `${s}${abs}¢` : `${s}$${abs}`;
}

export function Panel(
  props: {
    title: string;
    id: string;
    children: ComponentChildren;
    action?: { href: string; label: string };
    /** Re-rendered in place when a bid outcome arrives (components/live_panels.ts); holds no island. */
    live?: boolean;
  },
) {
  return (
    <section
      aria-labelledby={`${props.id}-heading`}
      data-testid={props.id}
      data-live-panel={props.live ? props.id : undefined}
      class="min-w-0 rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200"
    >
      <div class="flex flex-wrap items-center justify-between gap-2">
        <h2 id={`${props.id}-heading`} class="text-base font-semibold">{props.title}</h2>
        {props.action && (
          <a href={props.action.href} class="text-sm font-medium text-brand-600 hover:text-brand-700">
            {props.action.label}
          </a>
        )}
      </div>
      <div class="mt-3">{props.children}</div>
    </section>
  );
}

export function PnlCards(
  { today, week, timeZone, units }: { today: PnlTotal; week: PnlTotal; timeZone: string; units: Units },
) {
  const card = (label: string, t: PnlTotal, testid: string) => (
    <div class="rounded-lg border border-slate-200 px-3 py-2" data-testid={testid}>
      <p class="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</p>
      <p
        class={`mt-1 text-xl font-semibold tabular-nums ${t.revenue < 0 ? "text-rose-700" : "text-slate-900"}`}
        data-field="revenue"
      >
        {money(t.revenue)}
      </p>
      <p class="text-xs tabular-nums text-slate-500">{t.bids} settled · {formatEnergy(t.awarded_mwh, units.energy)}</p>
    </div>
  );
  return (
    <div>
      <div class="grid grid-cols-2 gap-3">
        {card("Today", today, "pnl-today")}
        {card("Last 7 days", week, "pnl-week")}
      </div>
      <p class="mt-2 text-xs text-slate-500">Days on your clock ({timeZone}); settled bids only.</p>
    </div>
  );
}

export function PositionsTable({ positions, units }: { positions: Position[]; units: Units }) {
  if (!positions.length) {
    return (
      <p class="text-sm text-slate-600">
        No day-ahead awards or pending bids for today or tomorrow. <a class="text-brand-600" href="/bidding">Bid →</a>
      </p>
    );
  }
  return (
    <div class="-mx-5 overflow-x-auto">
      <table class="min-w-full text-sm tabular-nums" data-testid="positions-table">
        <thead class="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th class="px-5 py-2 font-medium">Asset</th>
            <th class="hidden px-3 py-2 font-medium sm:table-cell">Day</th>
            <th class="px-3 py-2 text-right font-medium">Awarded</th>
            <th class="hidden px-3 py-2 text-right font-medium sm:table-cell">Avg price</th>
            <th class="px-5 py-2 text-right font-medium">Pending</th>
          </tr>
        </thead>
        <tbody class="divide-y divide-slate-100">
          {positions.map((p) => (
            <tr key={`${p.asset_id}-${p.day}`} data-asset={p.asset_name} data-day={p.day}>
              <td class="px-5 py-2">
                <a href={`/assets/${p.asset_id}`} class="font-medium hover:text-brand-700">{p.asset_name}</a>
                <span class="block text-xs text-slate-500">
                  {p.zone} DA<span class="sm:hidden">&nbsp;· {p.day === "today" ? "today" : "tomorrow"}</span>
                </span>
              </td>
              <td class="hidden px-3 py-2 sm:table-cell">
                {p.day === "today" ? "Today" : "Tomorrow"}
                <span class="block text-xs text-slate-500">{p.date}</span>
              </td>
              <td class="px-3 py-2 text-right" data-field="awarded">
                {p.awarded_hours ? formatEnergy(p.awarded_mwh, units.energy) : "—"}
                {p.awarded_hours > 0 && <span class="block text-xs text-slate-500">{p.awarded_hours} h</span>}
              </td>
              <td class="hidden px-3 py-2 text-right sm:table-cell">{price(p.avg_price, units.price)}</td>
              <td class="px-5 py-2 text-right" data-field="pending">
                {p.pending ? `${p.pending} submitted` : "—"}
                {p.drafts > 0 && <span class="block text-xs text-slate-500">{p.drafts} draft(s)</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Tomorrow's curve with its band, hour-ending on the x axis (the zone's market clock). */
function DayChart({ t }: { t: TomorrowPrices }) {
  const w = 240, h = 64, pad = 2;
  const lows = t.hours.map((x) => x.p10 ?? x.value), highs = t.hours.map((x) => x.p90 ?? x.value);
  const lo = Math.min(...lows), hi = Math.max(...highs);
  const y = (v: number) => h - pad - ((v - lo) / (hi - lo || 1)) * (h - 2 * pad);
  const x = (i: number) => (i / Math.max(1, t.hours.length - 1)) * w;
  const line = t.hours.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  const band = t.source === "forecast" && t.hours.some((p) => p.p10 !== null)
    ? [
      ...t.hours.map((_, i) => `${x(i).toFixed(1)},${y(highs[i]).toFixed(1)}`),
      ...t.hours.map((_, i) => `${x(i).toFixed(1)},${y(lows[i]).toFixed(1)}`).reverse(),
    ].join(" ")
    : null;
  const last = t.hours.length - 1;
  return (
    <figure>
      <svg viewBox={`0 0 ${w} ${h}`} class="h-16 w-full" preserveAspectRatio="none" aria-hidden="true">
        {band && <polygon points={band} class="fill-brand-100" />}
        <polyline
          points={line}
          fill="none"
          class={t.source === "forecast" ? "stroke-brand-500" : "stroke-slate-800"}
          stroke-width="1.5"
          stroke-dasharray={t.source === "forecast" ? "4 3" : undefined}
          vector-effect="non-scaling-stroke"
        />
      </svg>
      <figcaption class="flex justify-between text-[10px] text-slate-400">
        <span>{t.hours[0].label}</span>
        <span>{t.hours[Math.floor(last / 2)].label}</span>
        <span>{t.hours[last].label}</span>
      </figcaption>
    </figure>
  );
}

export function TomorrowGrid({ items, units }: { items: TomorrowPrices[]; units: Units }) {
  return (
    <ul class="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
      {items.map((t) => (
        <li key={t.zone} class="rounded-lg border border-slate-200 p-3" data-zone={t.zone} data-source={t.source}>
          <div class="flex items-baseline justify-between gap-2">
            <p class="font-medium">{t.zone}</p>
            <span
              class={`rounded px-1.5 py-0.5 text-[11px] font-medium ${
                t.source === "published"
                  ? "bg-emerald-50 text-emerald-700"
                  : t.source === "forecast"
                  ? "bg-brand-50 text-brand-700"
                  : "bg-slate-100 text-slate-500"
              }`}
            >
              {t.source === "published" ? "DA published" : t.source === "forecast" ? "Forecast 10–90" : "Not yet"}
            </span>
          </div>
          <p class="text-xs text-slate-500">{t.date} · {t.hours.length || "—"} h</p>
          {t.hours.length > 0
            ? (
              <>
                <DayChart t={t} />
                <p class="mt-1 text-xs tabular-nums text-slate-600">
                  avg <span class="font-semibold text-slate-900" data-field="avg">{price(t.avg, units.price)}</span>
                  {" "}
                  · peak {price(t.max, units.price)} {t.peak}
                </p>
              </>
            )
            : <p class="mt-6 text-xs text-slate-500">No prices or forecast yet.</p>}
        </li>
      ))}
    </ul>
  );
}

export function SpreadTable({ spreads, units }: { spreads: Spread[]; units: Units }) {
  return (
    <div class="-mx-5 overflow-x-auto">
      <table class="min-w-full text-sm tabular-nums" data-testid="spread-table">
        <thead class="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th class="px-5 py-2 font-medium">Zone</th>
            <th class="px-3 py-2 text-right font-medium">Hours</th>
            <th class="hidden px-3 py-2 text-right font-medium sm:table-cell">DA avg</th>
            <th class="hidden px-3 py-2 text-right font-medium sm:table-cell">RT avg</th>
            <th class="px-5 py-2 text-right font-medium">DA − RT</th>
          </tr>
        </thead>
        <tbody class="divide-y divide-slate-100">
          {spreads.map((s) => (
            <tr key={s.zone} data-zone={s.zone}>
              <td class="px-5 py-1.5 font-medium">{s.zone}</td>
              <td class="px-3 py-1.5 text-right">{s.hours}</td>
              <td class="hidden px-3 py-1.5 text-right sm:table-cell">{price(s.da_avg, units.price)}</td>
              <td class="hidden px-3 py-1.5 text-right sm:table-cell">{price(s.rt_avg, units.price)}</td>
              <td
                class={`px-5 py-1.5 text-right font-semibold ${
                  s.spread === null ? "text-slate-400" : s.spread < 0 ? "text-rose-700" : "text-emerald-700"
                }`}
                data-field="spread"
              >
                {price(s.spread, units.price, true)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="px-5 pt-2 text-xs text-slate-500">
        {units.price}, today's operating day in each zone's market clock so far.
      </p>
    </div>
  );
}

export function AlertList({ alerts, timeZone }: { alerts: Alert[]; timeZone: string }) {
  if (!alerts.length) return <p class="text-sm text-slate-600">No bid has cleared or been rejected yet.</p>;
  return (
    <ul class="-mx-5 divide-y divide-slate-100 border-t border-slate-200" data-testid="alert-list">
      {alerts.map((a) => (
        <li key={`${a.bid_id}-${a.at}-${a.status}`} class="flex items-start gap-3 px-5 py-2 text-sm">
          <span
            class={`mt-1.5 h-2 w-2 shrink-0 rounded-full ${
              a.level === "warning" ? "bg-amber-500" : a.status === "settled" ? "bg-emerald-600" : "bg-brand-500"
            }`}
            aria-hidden="true"
          />
          <div class="min-w-0 flex-1">
            <a href={`/bidding/${a.bid_id}`} class="break-words hover:text-brand-700">{a.message}</a>
            <p class="text-xs text-slate-500">
              <time dateTime={a.at}>{formatUserTime(timeZone, a.at)}</time>
            </p>
          </div>
        </li>
      ))}
    </ul>
  );
}
