/**
 * The cache (services/cache/cache.ts) on each of its stores, and across a Redis outage:
 * - on Deno KV alone (`:memory:`): get/set/TTL/delete;
 * - on the run's Redis (its own key prefix): the same contract, and what lands in Redis;
 * - on a private redis-server that this test kills and starts again on the same port:
 *   the cache keeps answering from KV while it is down, the adapter reports it
 *   unavailable, and both come back to Redis when it returns. The shared Redis is never stopped.
 */
import { freePort } from "../helpers/ports.ts";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createRedisAdapter, type RedisAdapter } from "../../services/adapters/redis.ts";
import { type Cache, CacheValueTooLargeError, createCache, MAX_VALUE_BYTES } from "../../services/cache/cache.ts";
import { HealthRegistry } from "../../services/health/registry.ts";
import { setLogSink } from "../../services/log/logger.ts";
import { waitForStatus } from "../helpers/health.ts";
import { inCI, serviceTest, testServices } from "../helpers/services.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ns = () => `t${crypto.randomUUID().slice(0, 8)}`;

async function withKvCache(fn: (cache: Cache, kv: Deno.Kv) => Promise<void>): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  try {
    await fn(createCache({ kv: () => kv, redis: () => null, prefix: "unused:", namespace: ns() }), kv);
  } finally {
    kv.close();
  }
}

/** The contract both stores must meet; `store` is the backend that must have served it. */
async function contract(cache: Cache, store: "redis" | "kv"): Promise<void> {
  assert.equal(await cache.get("missing"), undefined);
  const values: [string, unknown][] = [
    ["object", { zone: "PJM", lmp: "31.42", hours: [1, 2, 3], nested: { ok: true } }],
    ["string", "Zürich ⚡"],
    ["number", 0.1],
    ["zero", 0],
    ["false", false],
    ["null", null],
    ["array", [null, "a", 2]],
  ];
  for (const [key, value] of values) await cache.set(key, value, 60_000);
  for (const [key, value] of values) assert.deepEqual(await cache.get(key), value, `value of ${key}`);
  assert.equal(cache.backend(), store);

  // Values go through JSON on both stores: a Date comes back as its ISO string.
  const at = new Date("2026-01-02T03:04:05.000Z");
  await cache.set("date", { at }, 60_000);
  assert.deepEqual(await cache.get("date"), { at: at.toISOString() });

  await cache.set("object", { replaced: 1 }, 60_000);
  assert.deepEqual(await cache.get("object"), { replaced: 1 });

  await cache.delete("string");
  assert.equal(await cache.get("string"), undefined);
  await cache.delete("never-set"); // deleting what is absent is fine
  assert.equal(cache.backend(), store);
}

async function ttlContract(cache: Cache): Promise<void> {
  await cache.set("short", "soon gone", 300);
  await cache.set("long", "still here", 60_000);
  assert.equal(await cache.get("short"), "soon gone");
  await sleep(450);
  assert.equal(await cache.get("short"), undefined, "expired after its TTL");
  assert.equal(await cache.get("long"), "still here");
  // A new set gives the key a new TTL.
  await cache.set("long", "renewed", 300);
  await sleep(450);
  assert.equal(await cache.get("long"), undefined);
}

async function limitsContract(cache: Cache): Promise<void> {
  await assert.rejects(cache.set("big", "x".repeat(MAX_VALUE_BYTES + 1), 1000), CacheValueTooLargeError);
  await assert.rejects(cache.set("k", 1, 0), RangeError);
  await assert.rejects(cache.set("k", 1, -5), RangeError);
  await assert.rejects(cache.set("k", undefined, 1000), TypeError);
  await assert.rejects(cache.set("k", () => 1, 1000), TypeError);
  // Up to the limit is stored, whatever the value's shape: 14 000 floats are 56 KB of JSON
  // (but 126 KB once V8-serialised), ASCII text with one emoji is twice its size in UTF-16.
  const floats = Array.from({ length: 14_000 }, () => 0.5);
  await cache.set("floats", floats, 60_000);
  assert.deepEqual(await cache.get("floats"), floats);
  const text = "a".repeat(MAX_VALUE_BYTES - 10) + "🔋";
  await cache.set("text", text, 60_000);
  assert.equal(await cache.get("text"), text);
}

// ---------------------------------------------------------------- Deno KV

Deno.test("cache on KV: get/set/overwrite/delete, values through JSON", async () => {
  await withKvCache((cache) => contract(cache, "kv"));
});

Deno.test("cache on KV: a value is gone after its TTL (not when KV gets round to deleting it)", async () => {
  await withKvCache(ttlContract);
});

Deno.test("cache on KV: size limit, bad TTLs and unserialisable values are refused; values up to the limit fit", async () => {
  await withKvCache(limitsContract);
});

Deno.test("cache on KV: namespaces do not see each other's keys, and keys are tuple keys under ['cache', ns]", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const a = createCache({ kv: () => kv, redis: () => null, prefix: "p:", namespace: "a" });
    const b = createCache({ kv: () => kv, redis: () => null, prefix: "p:", namespace: "b" });
    await a.set("k", "from a", 60_000);
    assert.equal(await b.get("k"), undefined);
    await b.set("k", "from b", 60_000);
    assert.equal(await a.get("k"), "from a");
    const keys: Deno.KvKey[] = [];
    for await (const e of kv.list({ prefix: ["cache"] }, { limit: 10 })) keys.push(e.key);
    assert.deepEqual(keys, [["cache", "a", "k"], ["cache", "b", "k"]]);
  } finally {
    kv.close();
  }
});

// ---------------------------------------------------------------- the run's Redis

async function startedRedisAdapter(url: string, prefix: string) {
  const adapter = createRedisAdapter({ redisUrl: url, redisKeyPrefix: prefix, serviceTimeoutMs: 1000 });
  const registry = new HealthRegistry({ attemptTimeoutMs: 1000 });
  registry.register(adapter);
  await registry.start();
  await waitForStatus(registry, "redis", "available", 3000);
  return { adapter, registry };
}

async function withRedisCache(
  fn: (cache: Cache, ctx: { kv: Deno.Kv; adapter: RedisAdapter; namespace: string }) => Promise<void>,
): Promise<void> {
  const restoreLog = setLogSink(() => {});
  const kv = await Deno.openKv(":memory:");
  const { adapter, registry } = await startedRedisAdapter(testServices.redis!, testServices.redisPrefix);
  const namespace = ns();
  try {
    const cache = createCache({ kv: () => kv, redis: () => adapter.client(), prefix: adapter.prefix, namespace });
    await fn(cache, { kv, adapter, namespace });
  } finally {
    await registry.stop();
    kv.close();
    restoreLog();
  }
}

serviceTest("cache on Redis: the adapter reports available; get/set/overwrite/delete", ["redis"], async () => {
  await withRedisCache((cache) => contract(cache, "redis"));
});

serviceTest(
  "cache on Redis: keys carry the run's prefix and a PX TTL; nothing is written to KV",
  ["redis"],
  async () => {
    await withRedisCache(async (cache, { kv, adapter, namespace }) => {
      await cache.set("k", { v: 1 }, 30_000);
      const redis = adapter.client();
      assert.ok(redis, "connected");
      const key = `${testServices.redisPrefix}cache:${namespace}:k`;
      assert.equal(await redis.get(key), JSON.stringify({ v: 1 }));
      const pttl = await redis.pttl(key);
      assert.ok(pttl > 25_000 && pttl <= 30_000, `PTTL ${pttl}`);
      for await (const e of kv.list({ prefix: [] }, { limit: 1 })) {
        assert.fail(`KV written while Redis is up: ${e.key}`);
      }
      await cache.delete("k");
      assert.equal(await redis.exists(key), 0);
    });
  },
);

serviceTest("cache on Redis: a value is gone after its TTL", ["redis"], async () => {
  await withRedisCache(ttlContract);
});

serviceTest("cache on Redis: the same limits as on KV", ["redis"], async () => {
  await withRedisCache(async (cache) => {
    await limitsContract(cache);
    assert.equal(cache.backend(), "redis");
  });
});

// ---------------------------------------------------------------- fallback and recovery

const REDIS_SERVER = Deno.env.get("TEST_REDIS_SERVER") ?? "/usr/bin/redis-server";
const haveRedisServer = (() => {
  try {
    return Deno.statSync(REDIS_SERVER).isFile;
  } catch {
    return false;
  }
})();

/** A redis-server of this test's own, without persistence, on `port`; resolves once it accepts connections. */
async function startRedisServer(port: number): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(REDIS_SERVER, {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return child;
    } catch (e) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        await child.status;
        throw new Error(`redis-server did not listen on ${port}: ${e}`);
      }
      await sleep(25);
    }
  }
}

async function stopRedisServer(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch { /* already gone */ }
  await child.status;
}

/** Polls `cond` until true; fails with `what` after `ms`. */
async function eventually(what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(50);
  }
}

/**
 * Runs a cache call and fails if it hung on the dead Redis (ioredis queues commands for seconds while it
 * reconnects). A bound, not a stopwatch: a KV call takes milliseconds even on a loaded machine.
 */
async function quick<T>(what: string, call: Promise<T>, ms = 2000): Promise<T> {
  const t0 = performance.now();
  const value = await call;
  const took = performance.now() - t0;
  assert.ok(took < ms, `${what} took ${took.toFixed(0)} ms while Redis was down`);
  return value;
}

Deno.test({
  name: "cache fallback: Redis killed → KV serves, adapter unavailable; Redis back → cache on Redis, adapter available",
  ignore: !haveRedisServer && !inCI,
  async fn() {
    if (!haveRedisServer) throw new Error(`${REDIS_SERVER} not installed, and CI requires it`);
    const restoreLog = setLogSink(() => {});
    const port = freePort();
    const prefix = "fallback-test:";
    let server: Deno.ChildProcess | null = await startRedisServer(port);
    const kv = await Deno.openKv(":memory:");
    const adapter = createRedisAdapter({
      redisUrl: `redis://127.0.0.1:${port}`,
      redisKeyPrefix: prefix,
      serviceTimeoutMs: 500,
    });
    const registry = new HealthRegistry({
      attemptTimeoutMs: 500,
      checkIntervalMs: 100,
      backoff: { initialMs: 100, maxMs: 300, jitter: 0 },
    });
    registry.register(adapter);
    let probe: Redis | null = null;
    try {
      await registry.start();
      await waitForStatus(registry, "redis", "available", 3000);
      const cache = createCache({ kv: () => kv, redis: () => adapter.client(), prefix, namespace: "fb" });
      const redisKey = (k: string) => `${prefix}cache:fb:${k}`;

      await cache.set("before", "in redis", 60_000);
      assert.equal(cache.backend(), "redis");
      assert.equal(await adapter.client()!.get(redisKey("before")), JSON.stringify("in redis"));

      // ---- outage
      await stopRedisServer(server);
      server = null;
      await eventually("the adapter drops its client", () => adapter.client() === null, 3000);
      const down = await waitForStatus(registry, "redis", "unavailable", 3000);
      assert.ok(down.lastError, "the error is reported");
      assert.equal(registry.isAvailable("redis"), false);

      await quick("set", cache.set("during", { n: 1 }, 60_000));
      assert.equal(cache.backend(), "kv");
      assert.deepEqual(await quick("get", cache.get("during")), { n: 1 });
      assert.equal(cache.backend(), "kv");
      await quick("delete", cache.delete("before"));
      assert.equal(await quick("get", cache.get("before")), undefined);
      await quick("set", cache.set("short", 1, 200));
      await sleep(300);
      assert.equal(await quick("get", cache.get("short")), undefined, "TTLs hold on the fallback too");

      // ---- recovery, on the same port. A Redis that kept its data through the outage
      // (persistence, a network partition) still has an old copy of "before": the cache
      // must not serve it once it is back on Redis.
      server = await startRedisServer(port);
      probe = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 1 });
      await probe.connect();
      await probe.set(redisKey("before"), JSON.stringify("stale copy"));

      await eventually("the adapter reconnects", () => adapter.client() !== null, 10_000);
      await waitForStatus(registry, "redis", "available", 5000);
      assert.equal(registry.isAvailable("redis"), true);

      await cache.set("after", "back in redis", 60_000);
      assert.equal(cache.backend(), "redis");
      assert.equal(await probe.get(redisKey("after")), JSON.stringify("back in redis"));
      assert.equal(await cache.get("after"), "back in redis");
      assert.equal(cache.backend(), "redis");
      assert.equal(await cache.get("before"), undefined, "the copy from before the outage is not served");
      const during = await cache.get("during");
      assert.ok(during === undefined || JSON.stringify(during) === JSON.stringify({ n: 1 }), "never an older value");
      assert.equal(cache.backend(), "redis");
    } finally {
      await registry.stop();
      probe?.disconnect();
      if (server) await stopRedisServer(server);
      kv.close();
      restoreLog();
    }
  },
});

Deno.test({
  name:
    "cache on a black-holed Redis (stopped, its connection open): one call waits out the timeout, the next go to KV",
  ignore: !haveRedisServer && !inCI,
  async fn() {
    if (!haveRedisServer) throw new Error(`${REDIS_SERVER} not installed, and CI requires it`);
    const restoreLog = setLogSink(() => {});
    const port = freePort();
    const prefix = "blackhole-test:";
    const server = await startRedisServer(port);
    const kv = await Deno.openKv(":memory:");
    const adapter = createRedisAdapter({
      redisUrl: `redis://127.0.0.1:${port}`,
      redisKeyPrefix: prefix,
      serviceTimeoutMs: 500,
    });
    // The registry's own checks far apart: what is tested is that a caller needs none to stop waiting.
    const registry = new HealthRegistry({ attemptTimeoutMs: 500, checkIntervalMs: 60_000 });
    registry.register(adapter);
    try {
      await registry.start();
      await waitForStatus(registry, "redis", "available", 3000);
      const cache = createCache({ kv: () => kv, redis: () => adapter.client(), prefix, namespace: "bh" });
      await cache.set("before", "in redis", 60_000);
      assert.equal(cache.backend(), "redis");

      // The same ioredis client reconnects across the outage: its 'ready' events count the connections made.
      const redis = adapter.client()!;
      let readies = 0;
      redis.on("ready", () => readies++);
      server.kill("SIGSTOP");
      // The first call has no way to know: it waits for the command timeout, then answers from KV.
      const t0 = performance.now();
      // Several at once, as a busy server has: each times out on the silent connection.
      await Promise.all([cache.set("during", { n: 1 }, 60_000), cache.get("x1"), cache.get("x2"), cache.get("x3")]);
      assert.ok(performance.now() - t0 >= 400, "the first call met the silent Redis");
      assert.equal(cache.backend(), "kv");
      // Every later one goes to KV at once: the timed-out connection was dropped, and until Redis answers a
      // ready check again there is no client to wait on.
      assert.equal(adapter.client(), null);
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(await quick("get", cache.get("during"), 300), { n: 1 });
        await quick("set", cache.set(`k${i}`, i, 60_000), 300);
      }
      assert.equal(cache.backend(), "kv");

      server.kill("SIGCONT");
      await eventually("the adapter is back on Redis", () => adapter.client() !== null, 10_000);
      // And stays there: a command that timed out on the old connection does not drop the new one (ioredis sent
      // those again after reconnecting, and their second timeout dropped the healthy connection at once).
      const back = adapter.client();
      for (let i = 0; i < 20; i++) {
        await sleep(50);
        assert.equal(adapter.client(), back, "the connection made after the silence is kept");
      }
      assert.equal(readies, 1, "one reconnection, not a second after dropping the new connection");
      await cache.set("after", "back in redis", 60_000);
      assert.equal(cache.backend(), "redis");
      assert.equal(await adapter.client()!.get(`${prefix}cache:bh:after`), JSON.stringify("back in redis"));
    } finally {
      try {
        server.kill("SIGCONT");
      } catch { /* gone */ }
      await registry.stop();
      await stopRedisServer(server);
      kv.close();
      restoreLog();
    }
  },
});
