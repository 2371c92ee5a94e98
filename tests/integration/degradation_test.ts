/**
 * Principle 2 against real network failure modes, for every optional adapter: a port
 * where nothing listens (connection refused) and a listener that accepts and never
 * answers (the case that hangs naive clients). Either way start-up must not wait, and
 * the service must be reported unavailable within the attempt timeout.
 */
import { freePort as closedPort, silentListener } from "../helpers/ports.ts";
import assert from "node:assert/strict";
import { createClickhouseAdapter } from "../../services/adapters/clickhouse.ts";
import { createKafkaAdapter, type KafkaAdapter } from "../../services/adapters/kafka.ts";
import { createMlflowAdapter } from "../../services/adapters/mlflow.ts";
import { createRedisAdapter, type RedisAdapter } from "../../services/adapters/redis.ts";
import { loadConfig } from "../../services/config/env.ts";
import { HealthRegistry } from "../../services/health/registry.ts";
import type { ServiceAdapter } from "../../services/health/types.ts";
import { setLogSink } from "../../services/log/logger.ts";
import { waitForStatus } from "../helpers/health.ts";

const ATTEMPT_MS = 500;

interface Case {
  name: string;
  make(port: number): ServiceAdapter;
  /** What callers would use (a client, a producer): must be null while the service is unavailable. */
  handle?(adapter: ServiceAdapter): unknown;
}

const config = (env: Record<string, string>) => loadConfig({ ...env, SERVICE_TIMEOUT_MS: String(ATTEMPT_MS) });

const cases: Case[] = [
  {
    name: "clickhouse",
    make: (port) => createClickhouseAdapter(config({ CLICKHOUSE_URL: `http://127.0.0.1:${port}` })),
  },
  {
    name: "mlflow",
    make: (port) => createMlflowAdapter(config({ MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}` })),
  },
];

// ---- Adapters owned by the data layer: Redis (cache) and Kafka (queue). ----
cases.push(
  {
    name: "redis",
    make: (port) => createRedisAdapter(config({ REDIS_URL: `redis://127.0.0.1:${port}` })),
    handle: (adapter) => (adapter as RedisAdapter).client(),
  },
  {
    name: "kafka",
    make: (port) => createKafkaAdapter(config({ KAFKA_BROKERS: `127.0.0.1:${port}` })),
    handle: (adapter) => (adapter as KafkaAdapter).producer(),
  },
);

async function expectUnavailableWithoutBlocking(c: Case, port: number): Promise<void> {
  const adapter = c.make(port);
  const restore = setLogSink(() => {});
  const registry = new HealthRegistry({
    attemptTimeoutMs: ATTEMPT_MS,
    // One attempt is what this test measures; retries would only add noise.
    backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 },
  });
  const database: ServiceAdapter = {
    name: "database",
    required: true,
    configured: true,
    features: [],
    start: () => Promise.resolve(),
    check: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
  registry.register(database).register(adapter);
  try {
    await registry.start();
    // Not a stopwatch (files run in parallel on a loaded machine): start() resolved before the adapter had
    // any outcome, so it did not wait for it.
    assert.equal(registry.state(adapter.name)?.lastCheck, null, "no outcome yet when start() resolved");
    assert.equal(registry.ready(), true, "the server can listen while the optional service is unknown");

    // A bound, not a measurement: the clients' own defaults (ioredis 10 s, kafkajs 30 s) would overrun it.
    const state = await waitForStatus(registry, adapter.name, "unavailable", ATTEMPT_MS + 5000);
    assert.ok(state.lastError && state.lastError.length > 0, "the error is reported");
    assert.equal(registry.overall(), "degraded");
    if (c.handle) assert.equal(c.handle(adapter), null, `no ${c.name} client is handed out while it is unavailable`);
  } finally {
    const t1 = performance.now();
    await registry.stop();
    assert.ok(performance.now() - t1 < ATTEMPT_MS + 5000, "stop() is bounded");
    restore();
  }
}

for (const c of cases) {
  Deno.test(`${c.name}: nothing listening → unavailable within the attempt timeout, start-up not blocked`, async () => {
    await expectUnavailableWithoutBlocking(c, closedPort());
  });

  Deno.test(`${c.name}: a listener that never answers → unavailable within the attempt timeout`, async () => {
    const silent = silentListener();
    try {
      await expectUnavailableWithoutBlocking(c, silent.port);
    } finally {
      silent.close();
    }
  });
}
