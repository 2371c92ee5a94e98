/**
 * Publish/subscribe with at-least-once delivery: Kafka when it is up, the Deno
 * KV queue otherwise (publishing never fails because Kafka is down). Messages
 * may arrive more than once (and the KV queue delivers concurrently); each
 * (topic, group, idempotency key) is handled once: a delivery first claims the
 * key atomically with a lease, runs the handler, then marks the key done; a
 * failed handler releases its claim so the redelivery runs it again.
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
  close(): Promise<void>;
}

export interface QueueOptions {
  kv: () => Deno.Kv;
  kafka?: Pick<KafkaAdapter, "kafka" | "producer"> | null;
  /** Retry delays of the KV queue (ms) before a message is parked under ["queue_dead", …]. */
  backoffSchedule?: number[];
  /** How long a "handled" marker is kept: longer than any redelivery. */
  doneTtlMs?: number;
  /**
   * How long a claim on a message holds off other deliveries of the same key (a
   * handler running longer than this may run twice); a crashed handler's claim
   * lapses after it, so the redelivery can run.
   */
  leaseMs?: number;
}

/** A delivery of the same key is running elsewhere: this one is retried later (never dropped). */
export class DeliveryInProgressError extends Error {
  constructor(topic: string, idempotencyKey: string) {
    super(`message ${idempotencyKey} of ${topic} is being handled by another delivery; retrying later`);
    this.name = "DeliveryInProgressError";
  }
}

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
  const leaseMs = opts.leaseMs ?? 60_000;
  let listening = false;
  let last: "kafka" | "kv" = "kv";
  let closed = false;

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
  async function deliver(s: Subscription, env: Envelope): Promise<void> {
    const kv = opts.kv();
    const key = doneKey(s, env);
    let claim: Deno.KvCommitResult;
    for (;;) {
      const seen = await kv.get<DoneMarker>(key);
      const marker = seen.value;
      if (typeof marker === "number") return;
      if (marker !== null && marker.leaseUntil > Date.now()) {
        throw new DeliveryInProgressError(env.topic, env.idempotencyKey);
      }
      const res = await kv.atomic().check(seen).set(key, { leaseUntil: Date.now() + leaseMs }, { expireIn: leaseMs })
        .commit();
      if (res.ok) {
        claim = res;
        break;
      }
      // Another delivery changed the marker between our read and write: read it again.
    }
    try {
      await s.handler(env);
    } catch (e) {
      await kv.atomic().check({ key, versionstamp: claim.versionstamp }).delete(key).commit();
      throw e;
    }
    await kv.set(key, Date.now(), { expireIn: doneTtl });
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
        log.error("queue: dropped a malformed message", { error: (e as Error).message });
        return;
      }
      const failures: unknown[] = [];
      const targets = [...subs].filter((s) => s.topic === env.topic);
      if (targets.length === 0) {
        // Not acknowledged, so not lost: retried by its backoff, then parked under ["queue_dead", …].
        throw new Error(`queue: no subscriber for topic ${env.topic} in this process`);
      }
      for (const s of targets) {
        try {
          await deliver(s, env);
        } catch (e) {
          failures.push(e);
        }
      }
      // Throwing makes KV redeliver; groups that succeeded skip it through their marker.
      if (failures.length) throw failures[0];
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
      await opts.kv().enqueue(env, {
        backoffSchedule: opts.backoffSchedule ?? [1_000, 5_000, 15_000, 60_000],
        keysIfUndelivered: [["queue_dead", topic, o.idempotencyKey]],
      });
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
    async close() {
      closed = true;
      await Promise.allSettled([...subs].map((s) => s.consumer?.disconnect()));
      subs.clear();
    },
  };
}
