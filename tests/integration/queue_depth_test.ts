/**
 * Queue depth on /metrics (`queue_depth{backend,topic}`): messages enqueued and not yet handled, counted
 * in the queue's own KV commits, so every instance on the same KV reports the same figure; a message that
 * runs out of retries moves from the depth to the dead letters, and back when it is re-driven.
 */
import { openKv } from "../../services/adapters/kv.ts";
import assert from "node:assert/strict";
import { createAppMetrics } from "../../services/metrics/metrics.ts";
import { createQueue } from "../../services/queue/queue.ts";
import { setLogSink } from "../../services/log/logger.ts";
import { call, createOrg, expectStatus, opts } from "../helpers/auth.ts";
import { parsePrometheus } from "../helpers/prometheus.ts";
import { testApp, uniqueEmail } from "../helpers/test_app.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what} (last: ${JSON.stringify(v)})`);
    await sleep(50);
  }
}

/** The value of a gauge's sample with these labels in a parsed exposition; null when absent. */
function sampleOf(text: string, family: string, labels: Record<string, string>): number | null {
  const f = parsePrometheus(text).get(family);
  const s = f?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return s?.value ?? null;
}

Deno.test("queue depth: N messages held by a blocked handler are N on /metrics and the admin page, 0 once released", {
  ...opts,
}, async () => {
  const OPERATOR = uniqueEmail("depth-operator");
  const METRICS_TOKEN = "metrics-token-for-queue-depth-0123456789";
  const t = await testApp({ PLATFORM_ADMINS: OPERATOR, METRICS_TOKEN });
  const operator = await createOrg(t, "depth-ops", { email: OPERATOR });
  const topic = `test.depth.${crypto.randomUUID().slice(0, 8)}`;
  const gate = Promise.withResolvers<void>();
  let handled = 0;
  const unsubscribe = t.services.queue.subscribe(topic, "test", async () => {
    await gate.promise;
    handled++;
  });
  const exposition = async () => {
    const res = await t.fetch("/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(res.status, 200);
    return await res.text();
  };
  const metric = async () => sampleOf(await exposition(), "queue_depth", { backend: "kv", topic });
  try {
    const N = 7;
    const firstAt = Date.now();
    await t.services.queue.publish(topic, { i: 0 }, { idempotencyKey: "m0" });
    await sleep(1_200); // the first is older than the rest by this much
    const restAt = Date.now();
    for (let i = 1; i < N; i++) await t.services.queue.publish(topic, { i }, { idempotencyKey: `m${i}` });
    assert.equal(await eventually("depth N while the handler is blocked", metric, (v) => v === N), N);
    const age = sampleOf(await exposition(), "queue_oldest_age_seconds", { backend: "kv", topic })!;
    assert.ok(age >= (restAt - firstAt) / 1000 && age <= (Date.now() - firstAt) / 1000 + 0.01, `oldest age ${age}`);
    const summary = await call(t, "GET", "/api/admin/system", { token: operator.admin.tokens.access_token });
    expectStatus(summary, 200);
    assert.ok(summary.body.queue_depth >= N, `the admin page's figure (${summary.body.queue_depth})`);

    gate.resolve();
    assert.equal(await eventually("depth 0 once handled", metric, (v) => v === 0), 0);
    assert.equal(handled, N);
    assert.equal(sampleOf(await exposition(), "queue_oldest_age_seconds", { backend: "kv", topic }), 0);
  } finally {
    gate.resolve();
    await unsubscribe();
  }
});

Deno.test("queue depth: cluster-wide on a shared KV; a parked message moves to the dead letters and back on re-drive", async () => {
  const restoreLog = setLogSink(() => {});
  const path = await Deno.makeTempFile({ prefix: "optibid-queue-depth-", suffix: ".kv" });
  // Two instances: each its own KV handle on the same file, as two processes would have (opened as the app
  // opens its KV, which waits out a busy file).
  const kvA = await openKv(path);
  const kvB = await openKv(path);
  // A short lease: two handles on one file sometimes find it busy ("database is locked"), and a claim that
  // could not be released then holds its message back for one lease.
  const a = createQueue({ kv: () => kvA, backoffSchedule: [20, 20], leaseMs: 300 });
  const b = createQueue({ kv: () => kvB, backoffSchedule: [20, 20], leaseMs: 300 });
  const metricsOf = (q: typeof a) =>
    createAppMetrics({
      ws: () => ({ connections: 0, frames_sent: 0, messages_sent: 0 }),
      queueDeadLetters: () => q.deadLetters(),
      queueBackend: () => q.backend(),
      queueDepth: () => q.depth(),
      outbox: () => Promise.resolve({ backlog: 0, oldestAgeS: 0 }),
      dbPool: () => null,
    });
  const mA = metricsOf(a);
  const mB = metricsOf(b);
  const topic = "test.depth.parked";
  let fail = true;
  const gate = Promise.withResolvers<void>();
  let blocked = true;
  const handler = async () => {
    if (blocked) await gate.promise;
    if (fail) throw new Error("the handler refuses");
  };
  try {
    const unsubs = [a.subscribe(topic, "g", handler), b.subscribe(topic, "g", handler)];
    for (const k of ["x1", "x2", "x3"]) await a.publish(topic, { k }, { idempotencyKey: k });
    // Published through A, seen the same from B.
    for (const m of [mA, mB]) {
      await eventually(
        "3 waiting on either instance",
        async () => sampleOf(await m.render(), "queue_depth", { topic }),
        (v) => v === 3,
      );
    }
    // Unblocked, every delivery fails until the KV queue parks them.
    blocked = false;
    gate.resolve();
    const parked = await eventually(
      "the three parked: depth 0, dead letters 3",
      async () => {
        await a.deadLetterCount();
        const text = await mB.render();
        return [
          sampleOf(text, "queue_depth", { topic }),
          sampleOf(await mA.render(), "queue_dead_letters", {}),
          sampleOf(text, "queue_oldest_age_seconds", { topic }),
        ];
      },
      ([d, dead]) => d === 0 && dead === 3,
      20_000,
    );
    assert.deepEqual(parked, [0, 3, 0], "parked messages are neither waiting nor the oldest waiting");

    // Re-driven (the handler now works): waiting again, then handled, and nothing is left anywhere.
    fail = false;
    const { redriven } = await b.redrive({ topic });
    assert.equal(redriven, 3);
    const done = await eventually(
      "re-driven and handled",
      async () => {
        const text = await mA.render();
        // The dead letters too, so that a failure says whether a message is still queued or was parked again.
        return [
          sampleOf(text, "queue_depth", { topic }),
          (await a.depth()).find((d) => d.topic === topic)?.parked,
          await a.deadLetterCount(),
        ];
      },
      ([d, p]) => d === 0 && p === 0,
      30_000, // a loaded CI machine polls the KV queue slowly
    );
    assert.deepEqual(done, [0, 0, 0]);
    await Promise.all(unsubs.map((u) => u()));
  } finally {
    gate.resolve();
    await a.close();
    await b.close();
    kvA.close();
    kvB.close();
    await Deno.remove(path).catch(() => {});
    restoreLog();
  }
});
