/** The contract between the health registry and every adapter (docs/ARCHITECTURE.md, "Health registry and adapters"). */
export type ServiceStatus = "available" | "degraded" | "unavailable" | "disabled";

export interface ServiceAdapter {
  /** Stable service name: database, kv, redis, kafka, clickhouse, mlflow. */
  readonly name: string;
  /** Required services make the app unhealthy (503) when down; optional ones never block. */
  readonly required: boolean;
  /** False when not configured (no URL set): the registry reports `disabled` and never starts it. */
  readonly configured: boolean;
  /** What the service enables, shown on /health and the status page. */
  readonly features: readonly string[];
  /** Connect once. Must honour `signal` (the registry aborts it after its attempt timeout). Throws on failure. */
  start(signal: AbortSignal): Promise<void>;
  /**
   * A cheap round trip proving the service answers. Throws when it does not; may return "degraded".
   * Called only after start() succeeded. The registry never restarts a started adapter (callers
   * may hold its client), so after an outage the client must reconnect by itself or in check().
   */
  check(signal: AbortSignal): Promise<void | "degraded">;
  /**
   * Release connections. Must not throw and must not hang. Also called after a failed or
   * timed-out start() (to drop a half-open client before the next attempt), so it may run
   * without a prior successful start, and more than once.
   */
  stop(): Promise<void>;
}

export interface ServiceState {
  name: string;
  required: boolean;
  status: ServiceStatus;
  features: readonly string[];
  /** Milliseconds of the last start/check round trip, null before any. */
  latencyMs: number | null;
  /** ISO time the current status began. */
  since: string;
  lastError: string | null;
  lastCheck: string | null;
}

export type OverallStatus = "healthy" | "degraded" | "unhealthy";
