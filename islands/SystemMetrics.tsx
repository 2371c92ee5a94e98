/** The instance's key metrics, refreshed every few seconds from GET /api/admin/system (a summary of /metrics). */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { getJson } from "../components/api_client.ts";

export interface SystemFigures {
  instance_id: string;
  uptime_s: number;
  requests: number;
  errors_5xx: number;
  rejected_429: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  ws_connections: number;
  ws_frames_sent: number;
  ingest_ticks: number;
  queue_dead_letters: number | null;
  queue_depth: number;
  queue_oldest_age_s: number;
  outbox_backlog: number;
  outbox_oldest_age_s: number;
  db_pool_max: number | null;
  db_queries_in_flight: number | null;
  forecast_runs: number;
  strategy_runs: number;
}

const n = (v: number | null, unit = "") => v === null ? "—" : `${Math.round(v * 10) / 10}${unit}`;

export default function SystemMetrics(props: { initial: SystemFigures; intervalMs?: number }) {
  const now = useSignal(props.initial);
  const prev = useSignal<{ at: number; f: SystemFigures } | null>(null);
  const rate = useSignal<{ requests: number; ticks: number } | null>(null);

  useEffect(() => {
    let stopped = false;
    const every = props.intervalMs ?? 2_000;
    const timer = setInterval(async () => {
      if (document.visibilityState === "hidden") return;
      const f = await getJson<SystemFigures>("/api/admin/system").catch(() => null);
      if (!f || stopped) return;
      const at = performance.now();
      const p = prev.value;
      if (p && p.f.instance_id === f.instance_id) {
        const s = (at - p.at) / 1000;
        rate.value = { requests: (f.requests - p.f.requests) / s, ticks: (f.ingest_ticks - p.f.ingest_ticks) / s };
      }
      prev.value = { at, f };
      now.value = f;
    }, every);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  const f = now.value;
  const tiles: [string, string, string?][] = [
    ["Requests", n(f.requests), rate.value ? `${n(rate.value.requests)}/s now` : undefined],
    ["Latency p50 / p95", `${n(f.latency_p50_ms, " ms")} / ${n(f.latency_p95_ms, " ms")}`],
    ["5xx answers", n(f.errors_5xx)],
    ["Quota refusals (429)", n(f.rejected_429)],
    ["WebSocket connections", n(f.ws_connections), `${n(f.ws_frames_sent)} frames sent`],
    ["Ingested ticks", n(f.ingest_ticks), rate.value ? `${n(rate.value.ticks)}/s now` : undefined],
    ["Outbox backlog", n(f.outbox_backlog), `oldest ${n(f.outbox_oldest_age_s, " s")}`],
    [
      "Queue depth",
      n(f.queue_depth),
      `oldest ${n(f.queue_oldest_age_s, " s")} · ${n(f.queue_dead_letters)} dead letters`,
    ],
    [
      "Database",
      `${n(f.db_queries_in_flight)} in flight`,
      f.db_pool_max === null ? "embedded" : `pool of ${f.db_pool_max}`,
    ],
    ["Forecast runs", n(f.forecast_runs)],
    ["Strategy runs", n(f.strategy_runs)],
    ["Uptime", `${Math.floor(f.uptime_s / 3600)} h ${Math.floor((f.uptime_s % 3600) / 60)} min`],
  ];
  return (
    <div>
      <p class="mb-3 text-xs text-slate-600">Instance {f.instance_id} · refreshed every few seconds</p>
      <dl class="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4" data-testid="system-metrics">
        {tiles.map(([label, value, sub]) => (
          <div key={label} class="rounded-lg bg-white p-3 shadow-sm ring-1 ring-slate-200">
            <dt class="text-xs font-medium text-slate-500">{label}</dt>
            <dd class="mt-1 text-lg font-semibold tabular-nums text-slate-900">{value}</dd>
            {sub && <dd class="text-xs text-slate-500">{sub}</dd>}
          </div>
        ))}
      </dl>
    </div>
  );
}
