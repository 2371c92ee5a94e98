/**
 * What GET /metrics exposes, in Prometheus' text format (prom-client).
 *
 * Counters and histograms that code increments live in one process-wide registry (`counters`): any
 * module imports it and counts, e.g. `counters.strategyRuns.inc({ status: "created" })`. Figures that are
 * read from a running app (connections, queue depth, outbox, pool) are gauges collected at scrape time
 * from that app's services (`createAppMetrics`), so nothing is computed for them between scrapes.
 */
import { Counter, Gauge, Registry } from "prom-client";

const shared = new Registry();

/** Seconds: from a cached page (~0.2 ms) to a request that hit the database deadline (4.5 s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const counters = {
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

interface RouteSlot {
  method: string;
  route: string;
  statuses: Map<number, number>;
  /** Observations per bucket, not cumulative; the last one is above every bound (+Inf). */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * The request path's recorder of `http_requests_total` and `http_request_duration_seconds`: plain
 * numbers in a slot per (method, route), turned into Prometheus series only when scraped. prom-client's
 * own counter and histogram hash their labels on every call (a few µs each); this costs a couple of map
 * lookups and additions, with no allocation once a route has been seen.
 */
export class RequestRecorder {
  #byMethod = new Map<string, Map<string, RouteSlot>>();

  record(method: string, route: string, status: number, seconds: number): void {
    // A client may send any method token: unknown ones share one series.
    if (!KNOWN_METHODS.has(method)) method = "OTHER";
    let routes = this.#byMethod.get(method);
    if (!routes) this.#byMethod.set(method, routes = new Map());
    let slot = routes.get(route);
    if (!slot) {
      slot = {
        method,
        route,
        statuses: new Map(),
        buckets: new Float64Array(LATENCY_BUCKETS.length + 1),
        sum: 0,
        count: 0,
      };
      routes.set(route, slot);
    }
    slot.statuses.set(status, (slot.statuses.get(status) ?? 0) + 1);
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    slot.buckets[i]++;
    slot.sum += seconds;
    slot.count++;
  }

  *slots(): Iterable<RouteSlot> {
    for (const routes of this.#byMethod.values()) yield* routes.values();
  }
}

/** The process's recorder: every app in the process records into it when REQUEST_METRICS is on. */
export const requestRecorder = new RequestRecorder();

type Series = { labels: Record<string, string>; value: number; metricName?: string };

/** A metric prom-client's registry renders like its own: it only calls `get()` at scrape time. */
function scraped(name: string, help: string, type: "counter" | "histogram", values: () => Series[]) {
  const metric = {
    name,
    help,
    type,
    aggregator: "sum",
    get: () => Promise.resolve({ name, help, type, aggregator: "sum", values: values() }),
  };
  shared.registerMetric(metric as unknown as Parameters<Registry["registerMetric"]>[0]);
}

scraped("http_requests_total", "HTTP requests by method, route pattern and status", "counter", () => {
  const out: Series[] = [];
  for (const s of requestRecorder.slots()) {
    for (const [status, n] of s.statuses) {
      out.push({ labels: { method: s.method, route: s.route, status: String(status) }, value: n });
    }
  }
  return out;
});

scraped("http_request_duration_seconds", "HTTP request latency by method and route pattern", "histogram", () => {
  const out: Series[] = [];
  const name = "http_request_duration_seconds";
  for (const s of requestRecorder.slots()) {
    const labels = { method: s.method, route: s.route };
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((le, i) => {
      cumulative += s.buckets[i];
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(le) }, value: cumulative });
    });
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: "+Inf" }, value: s.count });
    out.push({ metricName: `${name}_sum`, labels, value: s.sum });
    out.push({ metricName: `${name}_count`, labels, value: s.count });
  }
  return out;
});

/** What an app reports at scrape time. Each read is bounded by the caller's own timeouts. */
export interface MetricSources {
  ws(): { connections: number; frames_sent: number; messages_sent: number };
  /** Messages parked after their retries (the KV queue's dead letters); null when not counted yet. */
  queueDeadLetters(): number | null;
  queueBackend(): string;
  /**
   * Messages waiting on the KV queue per topic, cluster-wide (counters kept by the queue itself), and the
   * age of the oldest of them in seconds.
   */
  queueDepth(): Promise<{ topic: string; depth: number; oldestAgeS: number }[]>;
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

/** `read` once for all the gauges of one scrape (they collect in the same turn), again at the next scrape. */
function perScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | null = null;
  return () => (p ??= read().finally(() => setTimeout(() => (p = null), 0)));
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
  // One read of the queue's counters per scrape for both gauges.
  const readDepths = perScrape(() => sources.queueDepth().catch(() => null));
  // Counted on the KV queue, which every instance shares; Kafka's backlog is its consumers' lag.
  gauge("queue_depth", "Queue messages enqueued and not yet handled nor parked, all instances, by topic", async (g) => {
    const read = await readDepths();
    g.reset();
    for (const d of read ?? []) g.set({ backend: "kv", topic: d.topic }, d.depth);
  }, ["backend", "topic"]);
  gauge("queue_oldest_age_seconds", "Age of the oldest queue message waiting to be handled, by topic", async (g) => {
    const read = await readDepths();
    g.reset();
    for (const d of read ?? []) g.set({ backend: "kv", topic: d.topic }, d.oldestAgeS);
  }, ["backend", "topic"]);
  // One outbox query per scrape for both gauges.
  const readOutbox = perScrape(() => sources.outbox());
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
