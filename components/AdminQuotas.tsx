/** An organization's quotas beside what it uses of them (the admin overview and an organization's page). */
import { QUOTA_KEYS, QUOTA_LABELS, type QuotaKey, type Quotas } from "../services/admin/quotas.ts";

export interface QuotaUse {
  limits: Quotas;
  /** null: not shown (a per-minute rate is over before a page is read). */
  used: Record<QuotaKey, number | null>;
}

const fmt = (n: number) => n.toLocaleString("en-US");
/** The labels are written for sentences ("a quota of 5 bids per day"); a table row starts with a capital. */
export const capitalized = (s: string) => s[0].toUpperCase() + s.slice(1);

export function QuotaTable({ use }: { use: QuotaUse }) {
  return (
    <table class="w-full text-sm" data-testid="quotas">
      <thead class="text-left text-xs uppercase tracking-wide text-slate-500">
        <tr>
          <th scope="col" class="py-1 pr-3">Quota</th>
          <th scope="col" class="py-1 pr-3 text-right">Used</th>
          <th scope="col" class="py-1 text-right">Limit</th>
        </tr>
      </thead>
      <tbody class="divide-y divide-slate-100">
        {QUOTA_KEYS.map((k) => {
          const used = use.used[k];
          const share = used === null ? 0 : used / use.limits[k];
          return (
            <tr key={k} data-quota={k}>
              <th scope="row" class="py-1.5 pr-3 text-left font-normal">{capitalized(QUOTA_LABELS[k])}</th>
              <td class={`py-1.5 pr-3 text-right tabular-nums ${share >= 0.9 ? "font-semibold text-red-700" : ""}`}>
                {used === null ? "—" : fmt(used)}
              </td>
              <td class="py-1.5 text-right tabular-nums">{fmt(use.limits[k])}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
