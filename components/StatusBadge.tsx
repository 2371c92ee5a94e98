import type { OverallStatus, ServiceStatus } from "../services/health/types.ts";

const STYLES: Record<ServiceStatus | OverallStatus, string> = {
  available: "bg-emerald-100 text-emerald-800 ring-emerald-600/20",
  healthy: "bg-emerald-100 text-emerald-800 ring-emerald-600/20",
  degraded: "bg-amber-100 text-amber-800 ring-amber-600/20",
  unavailable: "bg-rose-100 text-rose-800 ring-rose-600/20",
  unhealthy: "bg-rose-100 text-rose-800 ring-rose-600/20",
  disabled: "bg-slate-100 text-slate-600 ring-slate-500/20",
};

export function StatusBadge({ status }: { status: ServiceStatus | OverallStatus }) {
  return (
    <span
      data-status={status}
      class={`inline-flex items-center gap-1.5 rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset ${
        STYLES[status]
      }`}
    >
      <span aria-hidden="true" class="h-1.5 w-1.5 rounded-full bg-current" />
      {status}
    </span>
  );
}
