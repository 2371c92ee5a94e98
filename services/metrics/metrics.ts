/**
 * What GET /metrics exposes, in Prometheus' text format (prom-client).
 *
 * Counters and histograms that code increments live in one process-wide registry (`counters`): any
 * module imports it and counts, e.g. `counters.strategyRuns.inc({ status: "ok" })`. Figures that are
 * read from a running app (connections, queue depth, outbox, pool) are gauges collected at scrape time
 * from that app's services (`createAppMetrics`), so nothing is computed for them between scrapes.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

const shared = new Registry();

/** Seconds: from a cached page (~0.2 ms) to a request that hit the database deadline (4.5 s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const counters = {
  httpRequests: new Counter({
    name: "http_requests_total",
    help: "HTTP requests by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [shared],
  }),
  httpDuration: new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by method and route pattern",
    labelNames: ["method", "route"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [shared],
  }),
  ingestTicks: new Counter({
    name: "ingest_ticks_total",
    help: "Price ticks committed by the ingest consumer (its rate is the ingest rate)",
    registers: [shared],
  }),
  wsConnectionsOpened: new Counter({
    name: "ws_connections_opened_total",
    help: "WebSocket connections accepted",
    registers: [shared],
  }),
  forecastRuns: new Counter({
    name: "forecast_runs_total",
    help: "Live forecast runs by outcome",
    labelNames: ["status"] as const,
    registers: [shared],
  }),
  strategyRuns: new Counter({
    name: "strategy_runs_total",
    help: "Strategy runs by outcome",
    labelNames: ["status"] as const,
    registers: [shared],
  }),
  quotaRejections: new Counter({
    name: "quota_rejections_total",
    help: "Requests refused with 429 because an organization's quota was used up, by quota",
    labelNames: ["quota"] as const,
    registers: [shared],
  }),
};

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** The request path's recorder: label children are looked up once per (method, route, status), not per request. */
export class RequestRecorder {
  #counts = new Map<string, { inc(): void }>();
  #latency = new Map<string, { observe(v: number): void }>();

  record(method: string, route: string, status: number, seconds: number): void {
    // A client may send any method token: unknown ones share one series.
    if (!KNOWN_METHODS.has(method)) method = "OTHER";
    const key = method + " " + route;
    let h = this.#latency.get(key);
    if (!h) {
      h = counters.httpDuration.labels(method, route);
      this.#latency.set(key, h);
    }
    h.observe(seconds);
    const ckey = key + " " + status;
    let c = this.#counts.get(ckey);
    if (!c) {
      c = counters.httpRequests.labels(method, route, String(status));
      this.#counts.set(ckey, c);
    }
    c.inc();
  }
}

/** What an app reports at scrape time. Each read is bounded by the caller's own timeouts. */
export interface MetricSources {
  ws(): { connections: number; frames_sent: number; messages_sent: number };
  /** Messages parked after their retries (the KV queue's dead letters); null when not counted yet. */
  queueDeadLetters(): number | null;
  queueBackend(): string;
  /** Outbox rows not yet relayed and the age of the oldest, in seconds. */
  outbox(): Promise<{ backlog: number; oldestAgeS: number }>;
  dbPool(): { max: number; inFlight: number } | null;
}

export interface AppMetrics {
  readonly contentType: string;
  /** The whole exposition: process-wide counters and this app's gauges. */
  render(): Promise<string>;
  /** Key figures for the admin page: one parse of the same exposition, so both always agree. */
  registry(): Registry;
}

export function createAppMetrics(sources: MetricSources): AppMetrics {
  const own = new Registry();
  const gauge = (name: string, help: string, collect: (g: Gauge) => void | Promise<void>, labelNames?: string[]) =>
    new Gauge({
      name,
      help,
      labelNames: labelNames ?? [],
      registers: [own],
      collect() {
        return collect(this);
      },
    });
  gauge("ws_connections", "Open WebSocket connections on this instance", (g) => g.set(sources.ws().connections));
  gauge("ws_frames_sent", "WebSocket frames sent since start (a counter)", (g) => g.set(sources.ws().frames_sent));
  gauge("ws_messages_sent", "WebSocket messages sent since start (a counter)", (g) => {
    g.set(sources.ws().messages_sent);
  });
  gauge("queue_dead_letters", "Queue messages parked after their retries", (g) => {
    const n = sources.queueDeadLetters();
    g.reset();
    if (n !== null) g.set({ backend: sources.queueBackend() }, n);
  }, ["backend"]);
  let outbox: Promise<{ backlog: number; oldestAgeS: number }> | null = null;
  // One outbox query per scrape for both gauges.
  const readOutbox = () => (outbox ??= sources.outbox().finally(() => setTimeout(() => (outbox = null), 0)));
  gauge("outbox_backlog", "Outbox events not yet relayed", async (g) => {
    g.set((await readOutbox().catch(() => ({ backlog: -1, oldestAgeS: -1 }))).backlog);
  });
  gauge("outbox_oldest_age_seconds", "Age of the oldest outbox event not yet relayed", async (g) => {
    g.set((await readOutbox().catch(() => ({ backlog: -1, oldestAgeS: -1 }))).oldestAgeS);
  });
  gauge("db_pool_max", "Database connection pool size", (g) => {
    const p = sources.dbPool();
    g.reset();
    if (p) g.set(p.max);
  });
  gauge("db_queries_in_flight", "Database statements running or waiting for a pooled connection", (g) => {
    const p = sources.dbPool();
    g.reset();
    if (p) g.set(p.inFlight);
  });
  gauge("process_uptime_seconds", "Seconds since this process started", (g) => g.set(performance.now() / 1000));
  return {
    contentType: own.contentType,
    registry: () => Registry.merge([shared, own]),
    render: () => Registry.merge([shared, own]).metrics(),
  };
}
