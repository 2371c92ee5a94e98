/**
 * Publish/subscribe with at-least-once delivery: Kafka when it is up, the Deno
 * KV queue otherwise (publishing never fails because Kafka is down). Handlers
 * may see a message more than once; each (topic, group, idempotency key) is
 * handled once, through a marker written atomically after the handler succeeds.
 */
import type { Consumer } from "kafkajs";
import type { KafkaAdapter } from "../adapters/kafka.ts";
import { log } from "../log/logger.ts";
import { decode, encode, type Envelope, envelope } from "./wire.ts";

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
}

interface Subscription {
  topic: string;
  group: string;
  handler: (msg: QueueMessage) => Promise<void>;
  consumer: Consumer | null;
}

export function createQueue(opts: QueueOptions): Queue {
  const subs = new Set<Subscription>();
  const doneTtl = opts.doneTtlMs ?? 7 * 24 * 3600_000;
  let listening = false;
  let last: "kafka" | "kv" = "kv";
  let closed = false;

  const doneKey = (
    s: Subscription,
    env: Envelope,
  ): Deno.KvKey => ["queue_done", env.topic, s.group, env.idempotencyKey];

  /** Runs the handler unless this group already handled this key; marks it done only after success. */
  async function deliver(s: Subscription, env: Envelope): Promise<void> {
    const kv = opts.kv();
    const key = doneKey(s, env);
    const seen = await kv.get(key);
    if (seen.value !== null) return;
    await s.handler(env);
    await kv.atomic().check(seen).set(key, Date.now(), { expireIn: doneTtl }).commit();
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
      for (const s of subs) {
        if (s.topic !== env.topic) continue;
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
        eachMessage: async ({ message }) => {
          const env = decode(message.value ?? new Uint8Array());
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
          await producer.send({ topic, messages: [{ key: o.key ?? null, value: encode(env) }] });
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
