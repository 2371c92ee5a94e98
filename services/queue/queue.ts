/**
 * Publish/subscribe with at-least-once delivery: Kafka when it is up, the Deno
 * KV queue otherwise (publishing never fails because Kafka is down). Messages
 * may arrive more than once (and the KV queue delivers concurrently); each
 * (topic, group, idempotency key) is handled once: a delivery first claims the
 * key atomically with a lease, runs the handler, then marks the key done; a
 * failed handler releases its claim so the redelivery runs it again.
 *
 * Claims and the KV queue's retries are kept apart, so a restart cannot burn a
 * message's retries: a claim is short and renewed while its handler runs (a
 * crashed process's claim lapses within one lease); a delivery that finds a live
 * claim is put back on the queue for when that claim ends instead of failing (a
 * failure would spend one of its retries); and `close()` lets running handlers
 * finish for a moment, then releases the claims still held and queues their
 * messages again, so the next process runs them at once. What still exhausts
 * its retries is parked under ["queue_dead", …], counted (`deadLetterCount`)
 * and can be re-driven (`redrive`).
 *
 * Depth (messages on the KV queue not yet handled) is a counter per topic under ["queue_depth", topic], kept in
 * the same KV as the queue, so every instance sharing it sees the cluster's figure: +1 in the same atomic
 * operation as each enqueue, −1 (a wrapping add of 2⁶⁴−1) in the one that acknowledges a delivery. A parked
 * message is never acknowledged: the KV queue parks it itself, writing, besides its dead letter, a marker
 * ["queue_parked", topic, idempotency key, copy] of its own (copies of one message share a dead letter), which
 * read time subtracts; a re-drive takes the markers away and their count off the counter in the commit that
 * queues the message again. The same two commits set
 * and delete a marker ["queue_waiting", topic, published ms, idempotency key], whose first key per topic that
 * is not a dead letter is the oldest waiting message. Reading both is a short list per topic, nothing is
 * written on the request path, and nothing per message beyond two mutations in commits it makes anyway.
 */
import type { Consumer } from "kafkajs";
import type { KafkaAdapter } from "../adapters/kafka.ts";
import { log } from "../log/logger.ts";
import { decode, type Envelope, envelope, fromKafkaMessage, toKafkaMessage, WireFormatError } from "./wire.ts";

export type QueueMessage<T = unknown> = Envelope<T>;
export type Unsubscribe = () => Promise<void>;

export interface Queue {
  publish(topic: string, message: unknown, opts: { key?: string; idempotencyKey: string }): Promise<void>;
  subscribe(topic: string, group: string, handler: (msg: QueueMessage) => Promise<void>): Unsubscribe;
  backend(): "kafka" | "kv";
  /** Attach Kafka consumers for existing subscriptions (called when Kafka becomes available). */
  kafkaAvailable(): Promise<void>;
  /** Messages parked after their last retry (counted up to DEAD_LETTER_COUNT_LIMIT). */
  deadLetterCount(): Promise<number>;
  /** The last count, refreshed in the background when older than a few seconds; null before the first. */
  deadLetters(): number | null;
  /**
   * Messages waiting per topic on the KV queue, cluster-wide (every instance on the same KV): enqueued, not
   * yet handled, not parked. Kafka's own backlog is its consumer lag, not counted here.
   */
  depth(): Promise<TopicDepth[]>;
  /** Puts parked messages back on the queue with fresh retries (each once, atomically); how many. */
  redrive(opts?: { topic?: string; limit?: number }): Promise<{ redriven: number; remaining: number }>;
  close(): Promise<void>;
}

const DEAD_LETTER_PREFIX = ["queue_dead"] as const;
const DEPTH_PREFIX = ["queue_depth"] as const;
const WAITING_PREFIX = ["queue_waiting"] as const;
const PARKED_PREFIX = ["queue_parked"] as const;
/** −1 on a KvU64 counter: sums wrap at 2⁶⁴, and the counter is read as a signed 64-bit number. */
const MINUS_ONE = 0xffff_ffff_ffff_ffffn;

export interface TopicDepth {
  topic: string;
  depth: number;
  /** Copies of the topic's messages parked after their retries (in the dead letters until re-driven). */
  parked: number;
  /** Seconds since the oldest waiting message was published; 0 when none waits. */
  oldestAgeS: number;
}
/** A count past this says "at least"; /health must not scan an unbounded list. */
const DEAD_LETTER_COUNT_LIMIT = 10_000;
const DEFAULT_BACKOFF_MS = [1_000, 5_000, 15_000, 60_000];

export interface QueueOptions {
  kv: () => Deno.Kv;
  kafka?: Pick<KafkaAdapter, "kafka" | "producer"> | null;
  /** Retry delays of the KV queue (ms) before a message is parked under ["queue_dead", …]. */
  backoffSchedule?: number[];
  /** How long a "handled" marker is kept: longer than any redelivery. */
  doneTtlMs?: number;
  /**
   * How long a claim on a message holds off other deliveries of the same key; renewed every third of
   * it while the handler runs. A crashed process's claim lapses after it, so the redelivery can run.
   */
  leaseMs?: number;
  /** How long `close()` waits for running handlers before releasing their claims. */
  drainMs?: number;
}

/** A delivery of the same key is running elsewhere: this one is retried later (never dropped). */
export class DeliveryInProgressError extends Error {
  constructor(topic: string, idempotencyKey: string, readonly leaseUntil: number) {
    super(`message ${idempotencyKey} of ${topic} is being handled by another delivery; retrying later`);
    this.name = "DeliveryInProgressError";
  }
}

/** This process is closing: the delivery is put back on the queue for after the restart. */
class QueueClosingError extends Error {}

/** The marker under ["queue_done", …]: a number (when it was handled) once done, a claim while running. */
type DoneMarker = number | { leaseUntil: number };

interface Subscription {
  topic: string;
  group: string;
  handler: (msg: QueueMessage) => Promise<void>;
  consumer: Consumer | null;
}

export function createQueue(opts: QueueOptions): Queue {
  const subs = new Set<Subscription>();
  const doneTtl = opts.doneTtlMs ?? 7 * 24 * 3600_000;
  const leaseMs = opts.leaseMs ?? 15_000;
  const backoffSchedule = opts.backoffSchedule ?? DEFAULT_BACKOFF_MS;
  let listening = false;
  let last: "kafka" | "kv" = "kv";
  let closed = false;
  /** Claims held by handlers running in this process: released by `close()` if they outlive its drain. */
  const held = new Map<
    string,
    { key: Deno.KvKey; versionstamp: string; env: Envelope; done: Promise<void>; stopRenewing(): Promise<void> }
  >();
  /** The last dead-letter scan: the count, parked copies per topic, and their messages' waiting markers. */
  let deadCount: { value: number; at: number; byTopic: Map<string, number>; markers: Set<string> } | null = null;
  let counting: Promise<number> | null = null;

  const depthKey = (topic: string): Deno.KvKey => [...DEPTH_PREFIX, topic];
  const waitingKey = (env: Envelope): Deno.KvKey => [
    ...WAITING_PREFIX,
    env.topic,
    Date.parse(env.publishedAt),
    env.idempotencyKey,
  ];
  const markerId = (topic: string, publishedMs: unknown, idempotencyKey: unknown) =>
    `${topic}\n${publishedMs}\n${idempotencyKey}`;

  const doneKey = (
    s: Subscription,
    env: Envelope,
  ): Deno.KvKey => ["queue_done", env.topic, s.group, env.idempotencyKey];

  /**
   * Runs the handler unless this group already handled this key. Two deliveries of one
   * key can arrive at once (a duplicate publish, a redelivery): the atomic claim lets
   * only one run; the other throws DeliveryInProgressError so that it is retried, and
   * then finds the key done (or the claim released after a failure, and runs it).
   */
  /**
   * `ack`, when given, is added to the commit that marks the key done (the last group's, when the
   * delivery is about to be acknowledged): its depth count then costs no commit of its own. Whether it
   * was used: not when the key was already done.
   */
  async function deliver(
    s: Subscription,
    env: Envelope,
    ack?: (op: Deno.AtomicOperation) => Deno.AtomicOperation,
  ): Promise<boolean> {
    if (closed) throw new QueueClosingError();
    const kv = opts.kv();
    const key = doneKey(s, env);
    let versionstamp: string;
    for (;;) {
      const seen = await kv.get<DoneMarker>(key);
      const marker = seen.value;
      if (typeof marker === "number") return false;
      if (marker !== null && marker.leaseUntil > Date.now()) {
        throw new DeliveryInProgressError(env.topic, env.idempotencyKey, marker.leaseUntil);
      }
      const res = await kv.atomic().check(seen).set(key, { leaseUntil: Date.now() + leaseMs }, { expireIn: leaseMs })
        .commit();
      if (res.ok) {
        versionstamp = res.versionstamp;
        break;
      }
      // Another delivery changed the marker between our read and write: read it again.
    }
    const id = JSON.stringify(key);
    const finished = Promise.withResolvers<void>();
    // Renewed while the handler runs, so a long handler keeps its claim and a dead one loses it soon.
    let renewing: Promise<unknown> = Promise.resolve();
    const renew = setInterval(() => {
      renewing = kv.atomic().check({ key, versionstamp: claim.versionstamp })
        .set(key, { leaseUntil: Date.now() + leaseMs }, { expireIn: leaseMs }).commit()
        .then((res) => res.ok && (claim.versionstamp = res.versionstamp), () => {});
    }, Math.max(10, Math.floor(leaseMs / 3)));
    const claim = {
      key,
      versionstamp,
      env,
      done: finished.promise,
      // Before a release: a renewal still in flight would change the claim's version after the release read
      // it, and the release's check would then refuse it (seen: `close()` left 6 of 20 claims in place).
      async stopRenewing() {
        clearInterval(renew);
        await renewing;
      },
    };
    held.set(id, claim);
    let failure: { error: unknown } | null = null;
    try {
      await s.handler(env);
    } catch (error) {
      failure = { error };
    }
    await claim.stopRenewing(); // so that the release below checks the claim's latest version
    held.delete(id);
    finished.resolve();
    if (failure) {
      await kv.atomic().check({ key, versionstamp: claim.versionstamp }).delete(key).commit();
      throw failure.error;
    }
    if (ack) {
      await commit(ack(kv.atomic().set(key, Date.now(), { expireIn: doneTtl })));
      return true;
    }
    await kv.set(key, Date.now(), { expireIn: doneTtl });
    return false;
  }

  /** KV enqueue options: full retries, parked under its dead-letter key after the last. */
  const enqueueOptions = (env: Envelope, delayMs = 0) => ({
    delay: Math.max(0, Math.ceil(delayMs)),
    backoffSchedule,
    keysIfUndelivered: [
      [...DEAD_LETTER_PREFIX, env.topic, env.idempotencyKey],
      [...PARKED_PREFIX, env.topic, env.idempotencyKey, crypto.randomUUID()],
    ],
  });

  /**
   * An enqueue of `env` counted in its topic's depth and marked waiting, in one atomic operation (so never
   * one without the other). A copy of a message already marked sets the same marker again.
   */
  function countedEnqueue(atomic: Deno.AtomicOperation, env: Envelope, delayMs = 0, count = 1n): Deno.AtomicOperation {
    return atomic.enqueue(env, enqueueOptions(env, delayMs)).sum(depthKey(env.topic), count).set(waitingKey(env), 1);
  }

  async function commit(op: Deno.AtomicOperation): Promise<void> {
    const res = await op.commit();
    if (!res.ok) throw new Error("queue: KV commit refused"); // only checks refuse, and these ops check nothing
  }

  async function countDeadLetters(): Promise<number> {
    let n = 0;
    const kv = opts.kv();
    for await (const _ of kv.list({ prefix: [...DEAD_LETTER_PREFIX] }, { limit: DEAD_LETTER_COUNT_LIMIT })) n++;
    const byTopic = new Map<string, number>();
    const markers = new Set<string>();
    const prefix = [...PARKED_PREFIX];
    for await (const e of kv.list<Partial<Envelope>>({ prefix }, { limit: DEAD_LETTER_COUNT_LIMIT })) {
      const topic = String(e.key[PARKED_PREFIX.length]);
      byTopic.set(topic, (byTopic.get(topic) ?? 0) + 1);
      // A parked message keeps its waiting marker (the KV queue parks it, not us): known here, skipped there.
      const v = e.value;
      if (v && typeof v.publishedAt === "string") {
        markers.add(markerId(topic, Date.parse(v.publishedAt), v.idempotencyKey));
      }
    }
    deadCount = { value: n, at: Date.now(), byTopic, markers };
    return n;
  }

  /** A dead-letter scan when the cached one is stale (it is a scan), one at a time; null while fresh. */
  function refreshDeadCount(): Promise<number> | null {
    if (deadCount && Date.now() - deadCount.at <= 5_000) return null;
    return counting ??= countDeadLetters().catch(() => deadCount?.value ?? 0).finally(() => (counting = null));
  }

  /** The dead-letter scan: the cached one while fresh, else the one running or a new one. */
  async function parkedNow(): Promise<NonNullable<typeof deadCount>> {
    await refreshDeadCount();
    if (!deadCount) await countDeadLetters(); // the shared scan failed: this one's error is the caller's
    return deadCount!;
  }

  /** When the oldest message of `topic` that is waiting (not parked) was published; null when none is. */
  async function oldestWaiting(kv: Deno.Kv, topic: string, parked: NonNullable<typeof deadCount>) {
    // Oldest first; the parked ones among them are skipped, so at most their number plus one are read.
    const limit = (parked.byTopic.get(topic) ?? 0) + 1;
    for await (const e of kv.list({ prefix: [...WAITING_PREFIX, topic] }, { limit })) {
      const [publishedMs, idempotencyKey] = e.key.slice(WAITING_PREFIX.length + 1);
      if (!parked.markers.has(markerId(topic, publishedMs, idempotencyKey))) return Number(publishedMs);
    }
    return null;
  }

  async function depth(): Promise<TopicDepth[]> {
    const kv = opts.kv();
    let dead = await parkedNow();
    const out: TopicDepth[] = [];
    for await (const e of kv.list<Deno.KvU64>({ prefix: [...DEPTH_PREFIX] })) {
      const topic = String(e.key[DEPTH_PREFIX.length]);
      const counted = Number(BigInt.asIntN(64, e.value.value));
      let p = dead.byTopic.get(topic) ?? 0;
      if (counted < p) {
        // Recounted whenever it decides: a count even milliseconds old may still hold letters re-driven since,
        // and the reset below from such a count would set the counter too high for good (the counter entry was
        // read first, so a re-drive after that fails the reset's check instead).
        await countDeadLetters();
        dead = deadCount!;
        p = dead.byTopic.get(topic) ?? 0;
      }
      let waiting = counted - p;
      if (waiting < 0) {
        // Acknowledgements of messages that were never counted (queued by a version before the counter, or
        // parked by it and re-driven by this one) pushed it below what is parked: the queue of this topic is
        // empty, so the counter is set to its parked copies, once, if nobody changed it meanwhile.
        await kv.atomic().check(e).set(e.key, new Deno.KvU64(BigInt.asUintN(64, BigInt(p)))).commit();
        waiting = 0;
      }
      const oldest = waiting > 0 ? await oldestWaiting(kv, topic, dead) : null;
      const oldestAgeS = oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000);
      out.push({ topic, depth: waiting, parked: p, oldestAgeS });
    }
    return out;
  }

  function ensureKvListener() {
    if (listening) return;
    listening = true;
    // One listener per KV handle: messages of every topic come here and are dispatched.
    opts.kv().listenQueue(async (raw) => {
      let env: Envelope;
      try {
        env = decode(raw);
      } catch (e) {
        // Not ours, so never counted: acknowledged without touching a depth.
        log.error("queue: dropped a malformed message", { error: (e as Error).message });
        return;
      }
      const failures: unknown[] = [];
      let retryAt = 0;
      const targets = [...subs].filter((s) => s.topic === env.topic);
      if (targets.length === 0) {
        // Not acknowledged, so not lost: retried by its backoff, then parked under ["queue_dead", …].
        throw new Error(`queue: no subscriber for topic ${env.topic} in this process`);
      }
      const ack = (op: Deno.AtomicOperation) => op.sum(depthKey(env.topic), MINUS_ONE).delete(waitingKey(env));
      let acked = false;
      for (const [i, s] of targets.entries()) {
        // The last group, when all before it succeeded, is the acknowledgement: counted in its done commit.
        const last = i === targets.length - 1 && failures.length === 0 && retryAt === 0;
        try {
          acked = await deliver(s, env, last ? ack : undefined);
        } catch (e) {
          if (e instanceof DeliveryInProgressError) retryAt = Math.max(retryAt, e.leaseUntil);
          else if (e instanceof QueueClosingError) retryAt = Math.max(retryAt, Date.now() + 1_000);
          else failures.push(e);
        }
      }
      // Throwing makes KV redeliver; groups that succeeded skip it through their marker.
      if (failures.length) throw failures[0];
      // Waiting on a claim (or on a restart) is not a failure: the message comes back when the claim ends,
      // with its retries intact. The acknowledgement of this delivery follows the enqueue, so a crash in
      // between leaves a duplicate, which the markers absorb, never a loss.
      // It is looked at again soon (the claim's handler may finish early), never later than the claim ends.
      // The copy's +1 and this delivery's −1 go in the one commit, so the depth is right even if the
      // process dies before the acknowledgement (then the original comes back and is counted down then).
      const kv = opts.kv();
      if (retryAt) {
        await commit(
          countedEnqueue(kv.atomic(), env, Math.min(retryAt - Date.now() + 50, backoffSchedule[0] ?? 1_000))
            .sum(depthKey(env.topic), MINUS_ONE),
        );
      } else if (!acked) {
        // Handled by every group (already, by an earlier delivery): acknowledged when this returns.
        await commit(ack(kv.atomic()));
      }
    }).catch((e) => {
      if (!closed) log.error("queue: KV listener stopped", { error: String(e) });
    });
  }

  async function attachKafka(s: Subscription): Promise<void> {
    const kafka = opts.kafka?.kafka();
    if (!kafka || s.consumer || !opts.kafka?.producer()) return;
    const consumer = kafka.consumer({ groupId: s.group });
    s.consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: s.topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          let env: Envelope;
          try {
            env = fromKafkaMessage(message);
          } catch (e) {
            // Throwing would make the consumer retry this offset forever and stall the partition.
            if (!(e instanceof WireFormatError)) throw e;
            log.error("queue: skipped a malformed Kafka message", {
              topic,
              partition,
              offset: message.offset,
              error: e.message,
            });
            return;
          }
          await deliver(s, env);
        },
      });
    } catch (e) {
      s.consumer = null;
      await consumer.disconnect().catch(() => {});
      log.warn("queue: Kafka consumer not attached; KV queue continues", { topic: s.topic, error: String(e) });
    }
  }

  return {
    async publish(topic, message, o) {
      const env = envelope(topic, message, o);
      const producer = opts.kafka?.producer();
      if (producer) {
        try {
          await producer.send({ topic, messages: [toKafkaMessage(env)] });
          last = "kafka";
          return;
        } catch (e) {
          log.warn("queue: Kafka publish failed; using the KV queue", { topic, error: String(e) });
        }
      }
      last = "kv";
      await commit(countedEnqueue(opts.kv().atomic(), env));
    },
    subscribe(topic, group, handler) {
      const s: Subscription = { topic, group, handler, consumer: null };
      subs.add(s);
      ensureKvListener();
      attachKafka(s);
      return async () => {
        subs.delete(s);
        await s.consumer?.disconnect().catch(() => {});
      };
    },
    backend: () => last,
    async kafkaAvailable() {
      await Promise.all([...subs].map(attachKafka));
    },
    deadLetterCount: countDeadLetters,
    depth,
    deadLetters() {
      if (!closed) refreshDeadCount();
      return deadCount?.value ?? null;
    },
    async redrive(o = {}) {
      const kv = opts.kv();
      const prefix = o.topic ? [...DEAD_LETTER_PREFIX, o.topic] : [...DEAD_LETTER_PREFIX];
      let redriven = 0;
      for await (const entry of kv.list<unknown>({ prefix }, { limit: o.limit ?? 1_000 })) {
        let env: Envelope;
        try {
          env = decode(entry.value);
        } catch {
          continue; // not a message of ours: left for an operator to look at
        }
        // Atomic: a parked message goes back once, however many redrives run at the same time. Its parked
        // copies never left the depth counter (their markers are subtracted when it is read): markers and
        // count go in the same commit, and the message queued again counts one.
        const parked: Deno.KvKey[] = [];
        for await (const m of kv.list({ prefix: [...PARKED_PREFIX, env.topic, env.idempotencyKey] })) {
          parked.push(m.key);
        }
        const op = countedEnqueue(
          kv.atomic().check(entry).delete(entry.key),
          env,
          0,
          BigInt.asUintN(64, 1n - BigInt(parked.length)),
        );
        for (const k of parked) op.delete(k);
        const res = await op.commit();
        if (res.ok) redriven++;
      }
      if (redriven) log.info("queue: dead letters re-driven", { redriven, topic: o.topic ?? null });
      return { redriven, remaining: await countDeadLetters() };
    },
    async close() {
      closed = true;
      // Running handlers get a moment to finish; the claims of those that do not are released, so that
      // their redelivery after a restart runs at once instead of spending retries on a claim nobody holds.
      const running = [...held.values()];
      if (running.length) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          Promise.all(running.map((c) => c.done)),
          new Promise<void>((r) => (timer = setTimeout(r, opts.drainMs ?? 5_000))),
        ]);
        clearTimeout(timer);
        // The KV queue itself hands an interrupted delivery out again only ~60 s later: a fresh copy, queued
        // with the release in one atomic step, is what the next process picks up at once. The original
        // still comes back later and finds the message done.
        // Released when the claim is still ours, or when it lapsed unrenewed (a starved event loop, a renewal
        // that came too late): nobody holds it then either, and left alone the message would wait for that
        // redelivery. Not when another delivery holds it now or finished it.
        const kv = opts.kv();
        for (const c of held.values()) {
          await c.stopRenewing();
          const seen = await kv.get<DoneMarker>(c.key).catch(() => null);
          if (!seen) continue;
          const marker = seen.value;
          const lapsed = marker === null || (typeof marker === "object" && marker.leaseUntil <= Date.now());
          if (seen.versionstamp !== c.versionstamp && !lapsed) continue;
          await countedEnqueue(kv.atomic().check(seen).delete(c.key), c.env).commit().catch(() => {});
        }
      }
      await Promise.allSettled([...subs].map((s) => s.consumer?.disconnect()));
      subs.clear();
    },
  };
}
