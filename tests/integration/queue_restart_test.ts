/**
 * The KV queue across a restart: a delivery interrupted by a stop or a crash must not spend the
 * message's retries on a claim nobody works on any more (services/queue/queue.ts), and what does
 * run out of retries is counted and can be re-driven.
 */
import assert from "node:assert/strict";
import { setLogSink } from "../../services/log/logger.ts";
import { createQueue, type Queue, type QueueOptions } from "../../services/queue/queue.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(what: string, cond: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

/** One "process": a KV handle on the shared file and a queue on it. */
async function boot(path: string, opts: Partial<QueueOptions>): Promise<{ kv: Deno.Kv; queue: Queue }> {
  const kv = await Deno.openKv(path);
  return { kv, queue: createQueue({ kv: () => kv, ...opts }) };
}

const dead = async (kv: Deno.Kv) => {
  const out = [];
  for await (const e of kv.list({ prefix: ["queue_dead"] })) out.push(e.key);
  return out;
};

/** Retries after 50, 100, 200 ms; a claim of 1.5 s, several times the whole schedule. */
const SCALE = { backoffSchedule: [50, 100, 200], leaseMs: 1_500 };

async function restartCase(
  stop: (p: { kv: Deno.Kv; queue: Queue }) => Promise<void>,
  o: { scale?: Partial<QueueOptions>; key?: string; withinMs?: number } = {},
) {
  const scale = o.scale ?? SCALE, key = o.key ?? "restart-1";
  // (The KV queue itself would hand the interrupted delivery out again only ~60 s later.)
  const restoreLog = setLogSink(() => {});
  const dir = await Deno.makeTempDir({ prefix: "optibid-queue-" });
  const path = `${dir}/kv`;
  const hung = Promise.withResolvers<void>();
  try {
    const first = await boot(path, { ...scale, drainMs: 50 });
    let started = 0;
    first.queue.subscribe("bids.events", "relay", async () => {
      started++;
      await hung.promise; // the handler is still running when the process goes away
    });
    await first.queue.publish("bids.events", { n: 1 }, { idempotencyKey: key });
    await eventually("the first delivery started", () => started === 1);
    await stop(first);

    const second = await boot(path, scale);
    const handled: string[] = [];
    second.queue.subscribe("bids.events", "relay", (msg) => {
      handled.push(msg.idempotencyKey);
      return Promise.resolve();
    });
    try {
      await eventually(`${key} handled after the restart`, () => handled.length === 1, o.withinMs ?? 8_000);
      await sleep(400); // longer than the whole retry schedule
      assert.deepEqual(await dead(second.kv), [], "no retry was spent on the abandoned claim");
      assert.deepEqual(handled, [key]);
      assert.equal(await second.queue.deadLetterCount(), 0);
    } finally {
      await second.queue.close();
      second.kv.close();
    }
  } finally {
    hung.resolve();
    restoreLog();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test({
  name: "KV queue: a graceful stop releases a running delivery's claim; after the restart it runs at once",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    restartCase(async ({ kv, queue }) => {
      await queue.close(); // drains for 50 ms, then releases the claim
      kv.close();
    }),
});

Deno.test({
  name: "KV queue: a graceful stop releases the claim even while a renewal of it is in flight",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    // A 30 ms claim is renewed every 10 ms: a renewal is nearly always in flight when close() releases it, and a
    // release that read the claim's version before that renewal landed was refused (6 of 20 restarts then waited
    // for the KV queue's own redelivery, ~60 s).
    for (let i = 0; i < 10; i++) {
      await restartCase(async ({ kv, queue }) => {
        await queue.close();
        kv.close();
      }, { scale: { backoffSchedule: [50, 100, 200], leaseMs: 30 }, key: `renewing-${i}`, withinMs: 3_000 });
    }
  },
});

Deno.test({
  name: "KV queue: a graceful stop releases a claim that lapsed and was expired away while its handler ran",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    restartCase(async ({ kv, queue }) => {
      // What Deno KV does to a lease nobody renewed in time (a starved event loop): the claim's entry is gone.
      for await (const e of kv.list<{ leaseUntil?: number }>({ prefix: [] })) {
        if (typeof e.value?.leaseUntil === "number") await kv.delete(e.key);
      }
      await queue.close();
      kv.close();
    }, { key: "lapsed", withinMs: 3_000 }),
});

Deno.test("KV queue: a delivery that meets a live claim (a crashed process's) waits for it without spending retries", async () => {
  const restoreLog = setLogSink(() => {});
  const kv = await Deno.openKv(":memory:");
  const queue = createQueue({ kv: () => kv, ...SCALE });
  try {
    // What a process killed in the middle of a handler leaves: its claim, which nobody renews.
    const leaseUntil = Date.now() + 1_000;
    await kv.set(["queue_done", "bids.events", "relay", "crash-1"], { leaseUntil }, { expireIn: 1_000 });
    const handled: number[] = [];
    queue.subscribe("bids.events", "relay", () => {
      handled.push(Date.now());
      return Promise.resolve();
    });
    await queue.publish("bids.events", { n: 1 }, { idempotencyKey: "crash-1" });
    await eventually("handled once the claim lapsed", () => handled.length === 1);
    assert.ok(handled[0] >= leaseUntil, "not inside the live claim");
    assert.deepEqual(await dead(kv), [], "the retries (350 ms in all) were not spent while the claim stood");
  } finally {
    await queue.close();
    kv.close();
    restoreLog();
  }
});

Deno.test("KV queue: dead letters are counted and re-driven once each, with fresh retries", async () => {
  const restoreLog = setLogSink(() => {});
  const kv = await Deno.openKv(":memory:");
  const queue = createQueue({ kv: () => kv, backoffSchedule: [20, 20] });
  try {
    let healthy = false;
    const handled: string[] = [];
    queue.subscribe("alerts", "mailer", (msg) => {
      if (!healthy) return Promise.reject(new Error("mail server down"));
      handled.push(msg.idempotencyKey);
      return Promise.resolve();
    });
    for (const k of ["a1", "a2", "a3"]) await queue.publish("alerts", { k }, { idempotencyKey: k });
    await eventually("all three parked", async () => (await dead(kv)).length === 3);
    assert.equal(await queue.deadLetterCount(), 3);
    assert.equal(queue.deadLetters(), 3, "the cached figure /health shows");

    healthy = true;
    // Two redrives at once put each message back once.
    const [r1, r2] = await Promise.all([queue.redrive(), queue.redrive()]);
    assert.equal(r1.redriven + r2.redriven, 3);
    await eventually("each handled", () => handled.length === 3);
    await sleep(100);
    assert.deepEqual(handled.sort(), ["a1", "a2", "a3"]);
    assert.equal(await queue.deadLetterCount(), 0);
  } finally {
    await queue.close();
    kv.close();
    restoreLog();
  }
});
