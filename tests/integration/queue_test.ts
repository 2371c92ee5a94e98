/**
 * The queue (services/queue/queue.ts) on the Deno KV queue, which is what runs when
 * Kafka is not configured or not up: delivery, at-least-once redelivery, the
 * idempotency key, dead letters; and the fallback when KAFKA_BROKERS points at a
 * broker that is not there (nothing listening, or a listener that never answers):
 * publishing still delivers, through KV, without waiting on Kafka.
 * The Kafka path's own logic (what is sent, malformed messages) runs against a fake client.
 */
import { freePort as closedPort, silentListener } from "../helpers/ports.ts";
import assert from "node:assert/strict";
import type { Kafka, Producer } from "kafkajs";
import { createKafkaAdapter } from "../../services/adapters/kafka.ts";
import { loadConfig } from "../../services/config/env.ts";
import { HealthRegistry } from "../../services/health/registry.ts";
import { setLogSink } from "../../services/log/logger.ts";
import { createQueue, type Queue, type QueueMessage, type QueueOptions } from "../../services/queue/queue.ts";
import { decode, envelope, KAFKA_HEADERS, toKafkaMessage } from "../../services/queue/wire.ts";
import { waitForStatus } from "../helpers/health.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until true; fails with `what` after `ms`. */
async function eventually(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

interface Ctx {
  kv: Deno.Kv;
  queue: Queue;
  logs: { level: string; msg: string; [k: string]: unknown }[];
}

async function withQueue(
  opts: Partial<QueueOptions>,
  fn: (ctx: Ctx) => Promise<void>,
): Promise<void> {
  const logs: Ctx["logs"] = [];
  const restoreLog = setLogSink((line) => logs.push(JSON.parse(line)));
  const kv = await Deno.openKv(":memory:");
  const queue = createQueue({ kv: () => kv, backoffSchedule: [50, 100, 200], ...opts });
  try {
    await fn({ kv, queue, logs });
  } finally {
    await queue.close();
    kv.close();
    restoreLog();
  }
}

/** Subscribes a handler that records what it saw. */
function recorder(queue: Queue, topic: string, group: string, behaviour?: (msg: QueueMessage) => Promise<void>) {
  const seen: QueueMessage[] = [];
  const unsubscribe = queue.subscribe(topic, group, async (msg) => {
    seen.push(msg);
    await behaviour?.(msg);
  });
  return { seen, unsubscribe };
}

async function deadLetter(kv: Deno.Kv, topic: string, idempotencyKey: string) {
  return (await kv.get(["queue_dead", topic, idempotencyKey])).value;
}

Deno.test("KV queue: published messages reach the subscriber, with topic, key, idempotency key and payload", async () => {
  await withQueue({}, async ({ queue }) => {
    const { seen } = recorder(queue, "bids.events", "g1");
    await queue.publish("bids.events", { bid: 1 }, { key: "org-1", idempotencyKey: "e1" });
    await queue.publish("bids.events", { bid: 2 }, { idempotencyKey: "e2" });
    await queue.publish("bids.events", { bid: 3 }, { key: "org-1", idempotencyKey: "e3" });
    assert.equal(queue.backend(), "kv");
    await eventually("3 messages delivered", () => seen.length === 3);
    const byKey = new Map(seen.map((m) => [m.idempotencyKey, m]));
    assert.deepEqual(byKey.get("e1")?.payload, { bid: 1 });
    assert.equal(byKey.get("e1")?.key, "org-1");
    assert.equal(byKey.get("e1")?.topic, "bids.events");
    assert.equal(byKey.get("e2")?.key, null);
    assert.deepEqual(byKey.get("e3")?.payload, { bid: 3 });
    await sleep(200);
    assert.equal(seen.length, 3, "each delivered once");
  });
});

Deno.test("KV queue: each group gets every message of its topic, and no message of another topic", async () => {
  await withQueue({}, async ({ queue }) => {
    const a = recorder(queue, "prices", "group-a");
    const b = recorder(queue, "prices", "group-b");
    const other = recorder(queue, "bids", "group-a");
    await queue.publish("prices", { lmp: 30 }, { idempotencyKey: "p1" });
    await queue.publish("bids", { bid: 1 }, { idempotencyKey: "b1" });
    await eventually("all delivered", () => a.seen.length === 1 && b.seen.length === 1 && other.seen.length === 1);
    assert.deepEqual(a.seen[0].payload, { lmp: 30 });
    assert.deepEqual(b.seen[0].payload, { lmp: 30 });
    assert.deepEqual(other.seen[0].payload, { bid: 1 });
  });
});

Deno.test("KV queue: a handler that throws gets the message again until it succeeds (at least once)", async () => {
  await withQueue({}, async ({ queue, kv }) => {
    let calls = 0;
    let handled = 0;
    queue.subscribe("t", "g", () => {
      calls++;
      if (calls <= 2) return Promise.reject(new Error(`transient failure ${calls}`));
      handled++;
      return Promise.resolve();
    });
    await queue.publish("t", { n: 1 }, { idempotencyKey: "retry-me" });
    await eventually("handled after two failures", () => handled === 1);
    assert.equal(calls, 3);
    await sleep(300);
    assert.equal(calls, 3, "not delivered again once handled");
    assert.equal(await deadLetter(kv, "t", "retry-me"), null);
  });
});

Deno.test("KV queue: when one group fails, the redelivery does not run the groups that succeeded again", async () => {
  await withQueue({}, async ({ queue }) => {
    const ok = recorder(queue, "t", "ok-group");
    let failed = false;
    const flaky = recorder(queue, "t", "flaky-group", () => {
      if (failed) return Promise.resolve();
      failed = true;
      return Promise.reject(new Error("once"));
    });
    await queue.publish("t", 1, { idempotencyKey: "m1" });
    await eventually("flaky group handled it on redelivery", () => flaky.seen.length === 2);
    await sleep(200);
    assert.equal(ok.seen.length, 1, "the group that succeeded ran once");
    assert.equal(flaky.seen.length, 2);
  });
});

Deno.test("KV queue: a message that keeps failing is parked under ['queue_dead', topic, idempotency key]", async () => {
  await withQueue({ backoffSchedule: [20, 20] }, async ({ queue, kv }) => {
    let calls = 0;
    queue.subscribe("t", "g", () => {
      calls++;
      return Promise.reject(new Error("always"));
    });
    await queue.publish("t", { n: 9 }, { idempotencyKey: "doomed" });
    await eventually("parked", async () => (await deadLetter(kv, "t", "doomed")) !== null);
    assert.equal(calls, 3, "first delivery + one per backoff step");
    const parked = decode(await deadLetter(kv, "t", "doomed"));
    assert.deepEqual(parked.payload, { n: 9 });
  });
});

Deno.test("KV queue: the same idempotency key published again later is handled once", async () => {
  await withQueue({}, async ({ queue }) => {
    const { seen } = recorder(queue, "t", "g");
    await queue.publish("t", { v: 1 }, { idempotencyKey: "dup" });
    await eventually("first delivered", () => seen.length === 1);
    await queue.publish("t", { v: 1 }, { idempotencyKey: "dup" });
    await queue.publish("t", { v: 2 }, { idempotencyKey: "other" });
    await eventually("other delivered", () => seen.some((m) => m.idempotencyKey === "other"));
    await sleep(300);
    assert.deepEqual(seen.map((m) => m.idempotencyKey).sort(), ["dup", "other"]);
  });
});

Deno.test("KV queue: duplicates delivered at the same time (KV delivers concurrently) are handled once", async () => {
  await withQueue({ backoffSchedule: [100, 200, 400, 800] }, async ({ queue, kv }) => {
    let running = 0;
    let maxRunning = 0;
    const { seen } = recorder(queue, "t", "g", async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(150);
      running--;
    });
    await Promise.all([1, 2, 3].map(() => queue.publish("t", { v: 1 }, { idempotencyKey: "burst" })));
    await queue.publish("t", { v: 2 }, { idempotencyKey: "after" });
    await eventually("the later message delivered", () => seen.some((m) => m.idempotencyKey === "after"));
    await sleep(1000); // the duplicates' redeliveries come and find the key handled
    assert.equal(seen.filter((m) => m.idempotencyKey === "burst").length, 1, "handled once");
    assert.equal(maxRunning <= 2, true, "at most the burst's one and the later message ran together");
    assert.equal(await deadLetter(kv, "t", "burst"), null, "a handled message is not parked");
  });
});

Deno.test("KV queue: a claim whose handler failed is released, so the duplicate runs it", async () => {
  await withQueue({}, async ({ queue }) => {
    let calls = 0;
    const handled: string[] = [];
    queue.subscribe("t", "g", (msg) => {
      calls++;
      if (calls === 1) return Promise.reject(new Error("first attempt fails"));
      handled.push(msg.idempotencyKey);
      return Promise.resolve();
    });
    await queue.publish("t", 1, { idempotencyKey: "k" });
    await queue.publish("t", 1, { idempotencyKey: "k" });
    await eventually("handled", () => handled.length === 1);
    await sleep(400);
    assert.deepEqual(handled, ["k"], "exactly one successful run");
  });
});

Deno.test("KV queue: a malformed message is dropped with an error log and does not block the queue", async () => {
  await withQueue({}, async ({ queue, kv, logs }) => {
    const { seen } = recorder(queue, "t", "g");
    await kv.enqueue({ hello: "not an envelope" });
    await queue.publish("t", 1, { idempotencyKey: "good" });
    await eventually("the good message delivered", () => seen.length === 1);
    await eventually("the bad one logged", () => logs.some((l) => l.msg === "queue: dropped a malformed message"));
    assert.equal(logs.find((l) => l.msg === "queue: dropped a malformed message")?.level, "error");
  });
});

Deno.test("KV queue: a message for a topic nobody here subscribes to is not dropped: it is parked", async () => {
  await withQueue({ backoffSchedule: [20, 20] }, async ({ queue, kv }) => {
    const { seen } = recorder(queue, "subscribed", "g");
    await queue.publish("nobody-listens", { n: 1 }, { idempotencyKey: "orphan" });
    await queue.publish("subscribed", 1, { idempotencyKey: "x" });
    await eventually("the orphan is parked", async () => (await deadLetter(kv, "nobody-listens", "orphan")) !== null);
    assert.equal(seen.length, 1);
  });
});

Deno.test("KV queue: after unsubscribe, the handler gets nothing more", async () => {
  await withQueue({ backoffSchedule: [20] }, async ({ queue }) => {
    const kept = recorder(queue, "t", "kept");
    const gone = recorder(queue, "t", "gone");
    await queue.publish("t", 1, { idempotencyKey: "a" });
    await eventually("both got a", () => kept.seen.length === 1 && gone.seen.length === 1);
    await gone.unsubscribe();
    await queue.publish("t", 2, { idempotencyKey: "b" });
    await eventually("kept got b", () => kept.seen.length === 2);
    await sleep(100);
    assert.equal(gone.seen.length, 1);
  });
});

// ---------------------------------------------------------------- Kafka configured but absent

// The longest attempt the config allows: a publish that waited for Kafka's attempt would take this long,
// far beyond what a KV publish costs even on a loaded machine, so the bounds below tell the two apart.
const ATTEMPT_MS = 2000;

async function fallbackWithBrokerAt(port: number): Promise<void> {
  const kafka = createKafkaAdapter(
    loadConfig({ KAFKA_BROKERS: `127.0.0.1:${port}`, SERVICE_TIMEOUT_MS: String(ATTEMPT_MS) }),
  );
  assert.equal(kafka.configured, true);
  const registry = new HealthRegistry({
    attemptTimeoutMs: ATTEMPT_MS,
    backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 },
  });
  registry.register(kafka);
  await withQueue({ kafka }, async ({ queue }) => {
    try {
      const t0 = performance.now();
      await registry.start();
      const { seen } = recorder(queue, "bids.events", "g");
      await queue.kafkaAvailable(); // nothing to attach while Kafka is down; must not wait
      await queue.publish("bids.events", { bid: 1 }, { key: "org-1", idempotencyKey: "k1" });
      const publishMs = performance.now() - t0;
      assert.ok(publishMs < ATTEMPT_MS / 2, `start + subscribe + publish took ${publishMs.toFixed(0)} ms`);
      assert.equal(queue.backend(), "kv");
      await eventually("delivered through KV", () => seen.length === 1, 10_000);
      assert.deepEqual(seen[0].payload, { bid: 1 });

      // A bound (kafkajs's own timeouts are 10–30 s), not a stopwatch.
      const state = await waitForStatus(registry, "kafka", "unavailable", ATTEMPT_MS + 5000);
      assert.ok(state.lastError);
      assert.equal(kafka.producer(), null);

      // Still down: later publishes keep going through KV, each without waiting.
      const t1 = performance.now();
      await queue.publish("bids.events", { bid: 2 }, { idempotencyKey: "k2" });
      assert.ok(performance.now() - t1 < ATTEMPT_MS / 2, "publish did not wait on Kafka");
      await eventually("second delivered", () => seen.length === 2);
      assert.equal(queue.backend(), "kv");
    } finally {
      const t2 = performance.now();
      await registry.stop();
      assert.ok(performance.now() - t2 < ATTEMPT_MS + 5000, "stop is bounded");
    }
  });
}

Deno.test("queue fallback: KAFKA_BROKERS at a closed port → publish delivers through KV, nothing waits", async () => {
  await fallbackWithBrokerAt(closedPort());
});

Deno.test("queue fallback: KAFKA_BROKERS at a listener that never answers → publish delivers through KV", async () => {
  const silent = silentListener();
  try {
    await fallbackWithBrokerAt(silent.port);
  } finally {
    silent.close();
  }
});

// ---------------------------------------------------------------- the Kafka path, against a fake client

interface EachMessage {
  (p: {
    topic: string;
    partition: number;
    message: { key: Uint8Array | null; value: Uint8Array | null; headers?: Record<string, Uint8Array>; offset: string };
  }): Promise<void>;
}

function fakeKafka(opts: { sendFails?: boolean } = {}) {
  const sent: { topic: string; messages: unknown[] }[] = [];
  let eachMessage: EachMessage | null = null;
  const producer = {
    send(record: { topic: string; messages: unknown[] }) {
      if (opts.sendFails) return Promise.reject(new Error("broker went away"));
      sent.push(record);
      return Promise.resolve([]);
    },
  } as unknown as Producer;
  const kafka = {
    consumer: () => ({
      connect: () => Promise.resolve(),
      subscribe: () => Promise.resolve(),
      run: (cfg: { eachMessage: EachMessage }) => {
        eachMessage = cfg.eachMessage;
        return Promise.resolve();
      },
      disconnect: () => Promise.resolve(),
    }),
  } as unknown as Kafka;
  return {
    adapter: { kafka: () => kafka, producer: () => producer },
    sent,
    eachMessage: () => eachMessage,
  };
}

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("Kafka path: publish sends the wire message (key, idempotency-key header, envelope) to the topic", async () => {
  const fake = fakeKafka();
  await withQueue({ kafka: fake.adapter }, async ({ queue }) => {
    await queue.publish("bids.events", { bid: 5 }, { key: "org-2", idempotencyKey: "bid-5" });
    assert.equal(queue.backend(), "kafka");
    assert.equal(fake.sent.length, 1);
    assert.equal(fake.sent[0].topic, "bids.events");
    const [msg] = fake.sent[0].messages as ReturnType<typeof toKafkaMessage>[];
    assert.equal(msg.key, "org-2");
    assert.equal(msg.headers[KAFKA_HEADERS.idempotencyKey], "bid-5");
    const env = decode(msg.value);
    assert.deepEqual(env.payload, { bid: 5 });
    assert.equal(env.idempotencyKey, "bid-5");
  });
});

Deno.test("Kafka path: a failed send falls back to the KV queue and the message is delivered", async () => {
  const fake = fakeKafka({ sendFails: true });
  await withQueue({ kafka: fake.adapter }, async ({ queue }) => {
    const { seen } = recorder(queue, "t", "g");
    await queue.publish("t", { n: 1 }, { idempotencyKey: "k" });
    assert.equal(queue.backend(), "kv");
    await eventually("delivered through KV", () => seen.length === 1);
  });
});

Deno.test("Kafka path: consumer handles a message once per idempotency key and skips malformed ones", async () => {
  const fake = fakeKafka();
  await withQueue({ kafka: fake.adapter }, async ({ queue, logs }) => {
    const { seen } = recorder(queue, "t", "g");
    await eventually("consumer attached", () => fake.eachMessage() !== null);
    const each = fake.eachMessage()!;
    const wire = toKafkaMessage(envelope("t", { n: 1 }, { key: "k", idempotencyKey: "id-1" }));
    const message = {
      key: bytes(wire.key!),
      value: bytes(wire.value),
      headers: Object.fromEntries(Object.entries(wire.headers).map(([k, v]) => [k, bytes(v)])),
      offset: "0",
    };
    await each({ topic: "t", partition: 0, message });
    await each({ topic: "t", partition: 0, message: { ...message, offset: "1" } }); // redelivered
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0].payload, { n: 1 });

    // A poison message must not throw: kafkajs would retry that offset forever.
    await each({ topic: "t", partition: 0, message: { key: null, value: bytes("{nope"), offset: "2" } });
    await each({ topic: "t", partition: 0, message: { key: null, value: null, offset: "3" } });
    assert.equal(seen.length, 1);
    assert.equal(logs.filter((l) => l.msg === "queue: skipped a malformed Kafka message").length, 2);
  });
});
