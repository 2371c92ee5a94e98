import type { HealthResponse } from "../services/health/report.ts";
import { StatusBadge } from "./StatusBadge.tsx";

function ago(iso: string | null, now: number): string {
  if (!iso) return "—";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Every service with its state; a table on wide screens, cards on phones. */
export function ServiceTable({ report }: { report: HealthResponse }) {
  const now = Date.parse(report.time);
  return (
    <div class="overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
      <table class="w-full text-left text-sm">
        <thead class="hidden bg-slate-50 text-xs uppercase tracking-wide text-slate-500 sm:table-header-group">
          <tr>
            <th scope="col" class="px-4 py-3">Service</th>
            <th scope="col" class="px-4 py-3">Status</th>
            <th scope="col" class="px-4 py-3 text-right">Latency</th>
            <th scope="col" class="px-4 py-3">Since</th>
            <th scope="col" class="px-4 py-3">Enables</th>
          </tr>
        </thead>
        <tbody class="divide-y divide-slate-100">
          {report.services.map((s) => (
            <tr key={s.name} data-service={s.name} class="grid grid-cols-2 gap-x-3 gap-y-1 px-4 py-3 sm:table-row">
              <td class="font-medium sm:px-4 sm:py-3">
                {s.name}
                {s.required && <span class="ml-2 text-xs font-normal text-slate-500">required</span>}
              </td>
              <td class="text-right sm:px-4 sm:py-3 sm:text-left">
                <StatusBadge status={s.status} />
              </td>
              <td class="text-slate-600 tabular-nums sm:px-4 sm:py-3 sm:text-right">
                {s.latencyMs === null ? "—" : `${s.latencyMs.toFixed(1)} ms`}
              </td>
              <td class="text-right text-slate-600 sm:px-4 sm:py-3 sm:text-left" title={s.since}>
                {ago(s.since, now)}
              </td>
              <td class="col-span-2 text-slate-600 sm:px-4 sm:py-3">
                {s.features.join(", ")}
                {s.lastError && s.status !== "available" && (
                  <p class="mt-1 break-words text-xs text-rose-700" data-last-error>
                    {s.lastError}
                  </p>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
