/**
 * The live status board: server-rendered with the current report, then
 * refreshed every 10 s and on demand, without a page reload.
 */
import { useSignal } from "@preact/signals";
import { useCallback, useEffect } from "preact/hooks";
import { apiFetch } from "../components/api_client.ts";
import { ServiceTable } from "../components/ServiceTable.tsx";
import { StatusBadge } from "../components/StatusBadge.tsx";
import type { HealthResponse, HealthSummary } from "../services/health/report.ts";

export interface StatusBoardProps {
  /** The summary alone for visitors who are not admins (what /health tells them too). */
  initial: HealthResponse | HealthSummary;
  /** Refresh period; 10 s by default. */
  intervalMs?: number;
  /** The signed-in viewer's zone from `/settings`; visitors get their browser's zone once the page runs. */
  timeZone?: string | null;
}

/**
 * "10:14:02 EST" in the viewer's zone, named: no market clock applies to a refresh time and UTC is only for
 * the API and CSV. An unknown zone name falls back to the browser's own.
 */
export function clock(d: Date, timeZone?: string): string {
  const opts = {
    hourCycle: "h23",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "short",
  } as const;
  try {
    return d.toLocaleTimeString("en-US", { ...opts, timeZone });
  } catch {
    return d.toLocaleTimeString("en-US", opts);
  }
}

/** The heading and overall badge, the same for the summary and the admins' details. */
function Overall({ status }: { status: HealthSummary["status"] }) {
  return (
    <>
      <h2 id="status-heading" class="text-lg font-semibold">Overall</h2>
      <span data-testid="overall">
        <StatusBadge status={status} />
      </span>
    </>
  );
}

/** When the board was last refreshed, or why the last refresh failed. */
function Refreshed(props: { error: string | null; at: Date; timeZone: string | null; class?: string }) {
  return (
    <span aria-live="polite" class={props.class} data-testid="refreshed">
      {props.error
        ? <span class="text-rose-700" data-testid="refresh-error">Refresh failed: {props.error}</span>
        : props.timeZone
        ? <>Last refreshed {clock(props.at, props.timeZone)}</>
        : <>Last refreshed just now</>}
    </span>
  );
}

export default function StatusBoard({ initial, intervalMs = 10_000, timeZone = null }: StatusBoardProps) {
  const report = useSignal(initial);
  // A visitor's zone is only known in the browser; the server's render names no clock rather than a wrong one.
  const zone = useSignal<string | null>(timeZone);
  useEffect(() => {
    if (!zone.peek()) zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone;
  }, []);
  const refreshedAt = useSignal(new Date(initial.time));
  const error = useSignal<string | null>(null);
  const loading = useSignal(false);

  const refresh = useCallback(async () => {
    if (loading.peek()) return;
    loading.value = true;
    try {
      // /health answers 503 with the same body when unhealthy: still a successful refresh.
      const res = await apiFetch("/health", { headers: { accept: "application/json" }, cache: "no-store" });
      const body = await res.json() as HealthResponse | HealthSummary;
      if (!body || typeof body.status !== "string") throw new Error(`unexpected answer (HTTP ${res.status})`);
      report.value = body;
      refreshedAt.value = new Date();
      error.value = null;
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      loading.value = false;
    }
  }, []);

  useEffect(() => {
    const id = setInterval(refresh, intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);

  const r = report.value;
  if (!("services" in r)) {
    return (
      <section aria-labelledby="status-heading" class="space-y-4" data-testid="status-board">
        <div class="flex flex-wrap items-center gap-3">
          <Overall status={r.status} />
          <Refreshed class="text-sm text-slate-600" error={error.value} at={refreshedAt.value} timeZone={zone.value} />
        </div>
        <p class="text-sm text-slate-600" data-testid="details-hidden">
          Each service's details are shown to an organization's admins.{" "}
          <a class="text-brand-600 hover:underline" href="/login?next=/system-status">Sign in</a>
        </p>
      </section>
    );
  }
  const counts = r.services.reduce<Record<string, number>>((acc, s) => {
    acc[s.status] = (acc[s.status] ?? 0) + 1;
    return acc;
  }, {});

  return (
    <section aria-labelledby="status-heading" class="space-y-4" data-testid="status-board">
      <div class="flex flex-wrap items-center justify-between gap-3">
        <div class="flex items-center gap-3">
          <Overall status={r.status} />
        </div>
        <div class="flex items-center gap-3 text-sm text-slate-600">
          <Refreshed error={error.value} at={refreshedAt.value} timeZone={zone.value} />
          <button
            type="button"
            onClick={refresh}
            disabled={loading.value}
            data-testid="refresh"
            class="rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white shadow-sm hover:bg-brand-700 disabled:opacity-60"
          >
            {loading.value ? "Refreshing…" : "Refresh"}
          </button>
        </div>
      </div>
      <dl class="grid grid-cols-2 gap-3 sm:grid-cols-4">
        {(["available", "degraded", "unavailable", "disabled"] as const).map((s) => (
          <div key={s} class="rounded-lg bg-white px-4 py-3 shadow-sm ring-1 ring-slate-200">
            <dt class="text-xs uppercase tracking-wide text-slate-500">{s}</dt>
            <dd class="text-2xl font-semibold tabular-nums" data-count={s}>{counts[s] ?? 0}</dd>
          </div>
        ))}
      </dl>
      <ServiceTable report={r} />
      <p class="text-xs text-slate-500">
        Version {r.version} · schema v{r.schemaVersion ?? "—"} · up {Math.round(r.uptimeSeconds)} s
      </p>
    </section>
  );
}
