/** Key figures of /metrics for the admin page, read from the same registry the scraper reads. */
import type { AppMetrics } from "./metrics.ts";

interface Value {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** The q-quantile (0-1) of a cumulative histogram's buckets, interpolated within a bucket; null when empty. */
export function bucketQuantile(buckets: { le: number; count: number }[], q: number): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (!total) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket ? prevLe + (b.le - prevLe) * ((rank - prevCount) / inBucket) : b.le;
    }
    prevLe = Number.isFinite(b.le) ? b.le : prevLe;
    prevCount = b.count;
  }
  return prevLe;
}

export async function systemSummary(metrics: AppMetrics, instanceId: string) {
  const all = await metrics.registry().getMetricsAsJSON() as unknown as { name: string; values: Value[] }[];
  const values = (name: string) => all.find((m) => m.name === name)?.values ?? [];
  const sum = (name: string, pick: (v: Value) => boolean = () => true) =>
    values(name).filter(pick).reduce((s, v) => s + v.value, 0);
  const one = (name: string) => values(name)[0]?.value ?? null;
  const les = new Map<number, number>();
  for (const v of values("http_request_duration_seconds")) {
    if (v.metricName !== "http_request_duration_seconds_bucket") continue;
    const le = v.labels.le === "+Inf" ? Infinity : Number(v.labels.le);
    les.set(le, (les.get(le) ?? 0) + v.value);
  }
  const buckets = [...les].map(([le, count]) => ({ le, count }));
  const ms = (s: number | null) => s === null ? null : Math.round(s * 10_000) / 10;
  return {
    instance_id: instanceId,
    uptime_s: Math.round(one("process_uptime_seconds") ?? 0),
    requests: sum("http_requests_total"),
    errors_5xx: sum("http_requests_total", (v) => String(v.labels.status).startsWith("5")),
    rejected_429: sum("http_requests_total", (v) => String(v.labels.status) === "429"),
    latency_p50_ms: ms(bucketQuantile(buckets, 0.5)),
    latency_p95_ms: ms(bucketQuantile(buckets, 0.95)),
    ws_connections: one("ws_connections") ?? 0,
    ws_frames_sent: one("ws_frames_sent") ?? 0,
    ingest_ticks: sum("ingest_ticks_total"),
    queue_dead_letters: one("queue_dead_letters"),
    queue_depth: sum("queue_depth"),
    queue_oldest_age_s: values("queue_oldest_age_seconds").reduce((m, v) => Math.max(m, v.value), 0),
    outbox_backlog: one("outbox_backlog") ?? 0,
    outbox_oldest_age_s: one("outbox_oldest_age_seconds") ?? 0,
    db_pool_max: one("db_pool_max"),
    db_queries_in_flight: one("db_queries_in_flight"),
    forecast_runs: sum("forecast_runs_total"),
    strategy_runs: sum("strategy_runs_total"),
  };
}
