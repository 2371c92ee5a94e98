/**
 * The app's services, wired once per process: the health registry with an
 * adapter per external system, and the data layer on top of them. Nothing here
 * waits for an optional service; `start()` resolves when the required ones are up.
 */
import type { Config } from "./config/env.ts";
import { createClickhouseAdapter, isClickhouseOutage } from "./adapters/clickhouse.ts";
import { createDatabaseAdapter } from "./adapters/database.ts";
import { createKafkaAdapter } from "./adapters/kafka.ts";
import { createKvAdapter } from "./adapters/kv.ts";
import { createMlflowAdapter } from "./adapters/mlflow.ts";
import { createRedisAdapter } from "./adapters/redis.ts";
import { type Cache, createCache } from "./cache/cache.ts";
import { HealthRegistry } from "./health/registry.ts";
import {
  buildHealthReport,
  type HealthReport,
  type HealthResponse,
  liveness,
  type LivenessResponse,
  readiness,
  type ReadinessResponse,
} from "./health/report.ts";
import { createQueue, type Queue } from "./queue/queue.ts";
import { type AuthService, createAuth } from "./auth/service.ts";
import { loadPasswordPolicy } from "./auth/password_policy.ts";
import { onAuditWritten } from "./auth/audit.ts";
import { createRealtimeBus } from "./realtime/bus.ts";
import { RealtimeHub } from "./realtime/hub.ts";
import { createMarket, type MarketService } from "./market/service.ts";
import { type BidsService, createBids } from "./bids/service.ts";
import { createForecastLive, type ForecastLiveService } from "./forecast_live/service.ts";
import { createModels, type ModelsService } from "./models/service.ts";
import { createStrategies, type StrategiesService } from "./strategies/service.ts";
import type { Database } from "../db/database.ts";
import { log } from "./log/logger.ts";
import { noticeAlert } from "./bids/notice_read.ts";
import { type AnalyticsService, createAnalytics } from "./analytics/service.ts";
import { type AdminService, createAdmin } from "./admin/service.ts";
import { type AppMetrics, counters, createAppMetrics } from "./metrics/metrics.ts";
import { createNotifications, hubNotice, type NotificationsService } from "./notifications/service.ts";
import { type AlertsService, createAlerts } from "./alerts/service.ts";

export interface AppServices {
  readonly config: Config;
  readonly registry: HealthRegistry;
  readonly startedAt: number;
  /** Changes whenever any service changes state: a cache key for pages that show service states. */
  stateVersion(): number;
  /** The system of record; throws 503-worthy errors until the database adapter is up. */
  db(): Database;
  kv(): Deno.Kv;
  readonly cache: Cache;
  readonly queue: Queue;
  readonly auth: AuthService;
  /** Live prices and alerts over WebSocket, shared across instances (services/realtime/hub.ts). */
  readonly realtime: RealtimeHub;
  /** Prices: ingest consumer, feed, ClickHouse relay, latest prices. */
  readonly market: MarketService;
  /** Bid events relay and clearing. */
  readonly bids: BidsService;
  /** The live forecast job (services/forecast_live/). */
  readonly forecasts: ForecastLiveService;
  /** The model registry's MLflow relay (when MLFLOW_TRACKING_URI is set). */
  readonly models: ModelsService;
  /** Saved strategies run on their schedule (services/strategies/). */
  readonly strategies: StrategiesService;
  /** Market analytics (ClickHouse while it answers, else Postgres) and portfolio analytics. */
  readonly analytics: AnalyticsService;
  /** Feature flags, quotas and usage metering, suspended organizations (services/admin/). */
  readonly admin: AdminService;
  /** GET /metrics (services/metrics/). */
  readonly metrics: AppMetrics;
  /** Notifications: events fanned out to the bell, e-mail (SMTP_URL) and webhooks (services/notifications/). */
  readonly notifications: NotificationsService;
  /** Price alerts evaluated on every committed batch (services/alerts/). */
  readonly alerts: AlertsService;
  readonly adapters: {
    database: ReturnType<typeof createDatabaseAdapter>;
    kv: ReturnType<typeof createKvAdapter>;
    redis: ReturnType<typeof createRedisAdapter>;
    kafka: ReturnType<typeof createKafkaAdapter>;
    clickhouse: ReturnType<typeof createClickhouseAdapter>;
    mlflow: ReturnType<typeof createMlflowAdapter>;
  };
  healthReport(): HealthReport<HealthResponse>;
  liveness(): HealthReport<LivenessResponse>;
  readiness(): HealthReport<ReadinessResponse>;
  start(): Promise<void>;
  /** Resolves once the background work (feed, consumers, relays, clearing) has started after `start()`. */
  backgroundStarted(): Promise<void>;
  /** Readiness turns 503 at once so load balancers stop sending traffic while requests drain. */
  beginShutdown(): void;
  stop(): Promise<void>;
}

/** How long after the required services are up the background work (feed, consumers, relays) starts. */
export const BACKGROUND_DELAY_MS = 250;

export function createServices(config: Config): AppServices {
  const startedAt = Date.now();
  const registry = new HealthRegistry({ attemptTimeoutMs: config.serviceTimeoutMs });
  const adapters = {
    database: createDatabaseAdapter(config),
    kv: createKvAdapter(config),
    redis: createRedisAdapter(config),
    kafka: createKafkaAdapter(config),
    clickhouse: createClickhouseAdapter(config),
    mlflow: createMlflowAdapter(config),
  };
  for (const adapter of Object.values(adapters)) registry.register(adapter);
  let version = 0;
  let reportMemo: { key: string; report: HealthReport<HealthResponse> } | null = null;
  registry.onChange((state) => {
    version++;
    if (state.name === "kafka" && state.status === "available") queue.kafkaAvailable();
  });
  let shuttingDown = false;
  let backgroundTimer: ReturnType<typeof setTimeout> | undefined;
  let stopAuditFeed: (() => void) | null = null;
  const background = Promise.withResolvers<void>();

  const kv = () => adapters.kv.kv();
  const cache = createCache({
    kv,
    redis: () => adapters.redis.client(),
    prefix: config.redisKeyPrefix,
    namespace: "app",
  });
  const queue = createQueue({ kv, kafka: adapters.kafka });
  const auth = createAuth({
    config,
    db: () => adapters.database.db(),
    kv,
    redis: () => adapters.redis.client(),
    notify: () => admin.authChanged(),
  });
  const instanceId = crypto.randomUUID().slice(0, 8);
  const realtime: RealtimeHub = new RealtimeHub({
    instanceId,
    flushMs: config.realtimeFlushMs,
    bus: createRealtimeBus(config, instanceId, () => adapters.redis.client()),
    // Snapshots: the latest-price cache (shared by instances), then the database.
    latest: (zones) => market.latest(zones),
  });
  const market: MarketService = createMarket({
    config,
    db: () => adapters.database.db(),
    cache,
    queue,
    registry,
    clickhouse: adapters.clickhouse,
    onCommitted: (ticks) => {
      counters.ingestTicks.inc(ticks.length);
      realtime.publishPrices(ticks);
      alerts.onTicks(ticks);
      bids.pricesArrived();
      if (ticks.some((t) => t.market === "DA")) forecasts.kick();
    },
  });
  const bids = createBids({
    db: () => adapters.database.db(),
    queue,
    notify: (n) => {
      // The toast names the asset, the market and the hour, so the bid is read back (by its organization).
      void noticeAlert(adapters.database.db(), n).then((alert) => realtime.publishAlert(alert, { orgId: n.orgId }))
        .catch((e) => log.warn("bid notice not sent", { bid: n.bidId, error: String(e) }));
    },
  });
  const models = createModels({ db: () => adapters.database.db(), config });
  const strategies = createStrategies({
    enabled: config.strategyRunner,
    db: () => adapters.database.db(),
    kick: () => bids.kick(),
  });

  const analytics = createAnalytics({
    db: () => adapters.database.db(),
    clickhouse: () => registry.state("clickhouse")?.status === "available" ? adapters.clickhouse.client() : null,
    clickhouseFailed: (e) => isClickhouseOutage(e) && registry.suspect("clickhouse", e),
  });

  const admin = createAdmin({
    config,
    instanceId,
    db: () => adapters.database.db(),
    kv,
    redis: () => adapters.redis.client(),
    principalsChanged: () => auth.forgetCached(),
    closeConnections: (orgIds) => realtime.closeOrganizations(orgIds),
  });
  const metrics = createAppMetrics({
    ws: () => realtime.stats(),
    queueDeadLetters: () => queue.deadLetters(),
    queueBackend: () => queue.backend(),
    queueDepth: () => queue.depth(),
    outbox: async () => {
      const [row] = await adapters.database.db().query<{ backlog: number; age: number }>(
        `SELECT count(*)::int AS backlog, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
           FROM outbox WHERE sent_at IS NULL`,
      );
      return { backlog: row.backlog, oldestAgeS: row.age };
    },
    dbPool: () => {
      try {
        return adapters.database.db().pool?.() ?? null;
      } catch {
        return null;
      }
    },
  });
  const notifications = createNotifications({
    config,
    db: () => adapters.database.db(),
    live: hubNotice(realtime),
  });
  const alerts = createAlerts({ db: () => adapters.database.db(), onFired: () => notifications.kick() });

  const forecasts = createForecastLive({
    enabled: config.forecastJob,
    db: () => adapters.database.db(),
  });

  return {
    config,
    registry,
    startedAt,
    adapters,
    cache,
    queue,
    auth,
    realtime,
    market,
    bids,
    forecasts,
    models,
    strategies,
    analytics,
    admin,
    metrics,
    notifications,
    alerts,
    stateVersion: () => version,
    db: () => adapters.database.db(),
    kv,
    healthReport: () => {
      // Built once a second and per change (the status page and /health ask on every request, and the report
      // says nothing finer than a second: an uptime in seconds, each service's state and when it changed).
      const deadLetters = queue.deadLetters();
      const key = `${version}:${Math.floor(Date.now() / 1000)}:${deadLetters}`;
      if (reportMemo?.key !== key) {
        reportMemo = {
          key,
          report: buildHealthReport({
            states: registry.states(),
            version: config.appVersion,
            schemaVersion: adapters.database.migrationVersion(),
            startedAt,
            queue: { backend: queue.backend(), dead_letters: deadLetters },
          }),
        };
      }
      return reportMemo.report;
    },
    liveness: () => liveness(startedAt),
    readiness: () => readiness(registry, { shuttingDown }),
    async start() {
      // Committed audit entries reach the organization's live activity feeds, here and on the other instances.
      stopAuditFeed ??= onAuditWritten((orgId) => realtime.publishAudit(orgId));
      // Background work starts a moment after the app is ready, so that the first requests (a
      // load balancer's readiness probe) are not queued behind it on the one JS thread.
      const startBackground = () => {
        if (shuttingDown) return;
        backgroundTimer = setTimeout(() => {
          if (shuttingDown) return;
          // The cross-instance bus too: its Redis client is not needed to be ready, and loading it is not free.
          realtime.start();
          market.start();
          bids.start();
          forecasts.start();
          models.start();
          strategies.start();
          admin.start();
          notifications.start();
          void alerts.start();
          background.resolve();
          // The first sign-up should not pay for the password dictionaries.
          setTimeout(() => loadPasswordPolicy().catch(() => {}), 2_000);
        }, BACKGROUND_DELAY_MS);
      };
      try {
        await registry.start();
      } catch (e) {
        // A required service did not start (Postgres down as the app came up): the registry goes on trying
        // it, and the background work starts when it answers. The caller logs why it is not ready yet.
        void registry.untilReady().then(startBackground);
        throw e;
      }
      startBackground();
    },
    backgroundStarted: () => background.promise,
    beginShutdown() {
      shuttingDown = true;
      version++;
    },
    async stop() {
      // Also when stopped without beginShutdown(): a database answering meanwhile must not start the jobs.
      shuttingDown = true;
      clearTimeout(backgroundTimer);
      stopAuditFeed?.();
      stopAuditFeed = null;
      await forecasts.stop();
      await strategies.stop();
      await bids.stop();
      await models.stop();
      await admin.stop();
      await market.stop();
      await alerts.stop();
      await notifications.stop();
      await realtime.close();
      await queue.close();
      await registry.stop();
    },
  };
}
