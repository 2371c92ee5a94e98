import type { PnlRow, PnlTotal } from "../services/bids/pnl.ts";
import type { EnergyUnit } from "../services/market/units.ts";

const usd = (v: number) => `${v < 0 ? "−" : ""}$${Math.abs(v).toLocaleString("en-US", { maximumFractionDigits: 2 })}`;

/**
 * P&L rows (by day, asset or zone) with their total: day-ahead, real-time and net revenue; energy in the
 * viewer's unit (/settings).
 */
export function PnlTable(
  { items, total, byKind, first, energy = "MWh" }: {
    items: PnlRow[];
    total: PnlTotal;
    /** When given and virtual bids settled in the period, the physical and virtual lines under the rows. */
    byKind?: { physical: PnlTotal; virtual: PnlTotal };
    first: string;
    energy?: EnergyUnit;
  },
) {
  const e = (mwh: number) => energy === "kWh" ? Math.round(mwh * 1000).toLocaleString("en-US") : mwh.toFixed(1);
  if (!items.length) return <p class="text-sm text-slate-600">No settled bids in this period.</p>;
  return (
    <div class="-mx-5 overflow-x-auto">
      <table class="min-w-full text-sm tabular-nums" data-testid="pnl">
        <thead class="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th class="px-5 py-2 font-medium">{first}</th>
            <th class="px-3 py-2 text-right font-medium">{energy}</th>
            <th class="hidden px-3 py-2 text-right font-medium sm:table-cell">Day-ahead</th>
            <th class="hidden px-3 py-2 text-right font-medium sm:table-cell">Real-time</th>
            <th class="px-5 py-2 text-right font-medium">Net</th>
          </tr>
        </thead>
        <tbody class="divide-y divide-slate-100">
          {items.map((r) => (
            <tr key={r.key}>
              <td class="whitespace-nowrap px-5 py-1.5">{r.label}</td>
              <td class="px-3 py-1.5 text-right">{e(r.awarded_mwh)}</td>
              <td class="hidden px-3 py-1.5 text-right sm:table-cell">{usd(r.da_revenue)}</td>
              <td class="hidden px-3 py-1.5 text-right sm:table-cell">{usd(r.rt_revenue)}</td>
              <td class={`px-5 py-1.5 text-right font-medium ${r.revenue < 0 ? "text-rose-600" : "text-emerald-700"}`}>
                {usd(r.revenue)}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot class="border-t border-slate-200 font-semibold">
          {byKind && byKind.virtual.bids > 0 && (
            [["Physical", byKind.physical, "pnl-physical"], [
              `Virtual INC/DEC (fees ${usd(byKind.virtual.fees)})`,
              byKind.virtual,
              "pnl-virtual",
            ]] as const
          ).map(([label, t, id]) => (
            <tr key={id} data-testid={id} class="font-normal text-slate-600">
              <td class="px-5 py-1.5">{label} ({t.bids})</td>
              <td class="px-3 py-1.5 text-right">{e(t.awarded_mwh)}</td>
              <td class="hidden px-3 py-1.5 text-right sm:table-cell">{usd(t.da_revenue)}</td>
              <td class="hidden px-3 py-1.5 text-right sm:table-cell">{usd(t.rt_revenue)}</td>
              <td class="px-5 py-1.5 text-right">{usd(t.revenue)}</td>
            </tr>
          ))}
          <tr>
            <td class="px-5 py-2">Total ({total.bids} bids)</td>
            <td class="px-3 py-2 text-right">{e(total.awarded_mwh)}</td>
            <td class="hidden px-3 py-2 text-right sm:table-cell">{usd(total.da_revenue)}</td>
            <td class="hidden px-3 py-2 text-right sm:table-cell">{usd(total.rt_revenue)}</td>
            <td class="px-5 py-2 text-right">{usd(total.revenue)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
