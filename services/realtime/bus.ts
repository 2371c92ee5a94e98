/**
 * How app instances share the price stream: Redis pub/sub when REDIS_URL is
 * set, BroadcastChannel on Deno Deploy (where isolates of one deployment share
 * it; two processes on one machine do not), otherwise nothing (one instance).
 *
 * Every envelope names the instance that sent it. An instance fans out what it
 * receives to its own clients only and never republishes it, so there are no
 * echo loops; its own messages coming back from Redis are ignored. The bus
 * never throws at callers: while Redis is down, messages are counted as
 * skipped and the hub keeps serving its local clients.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Config } from "../config/env.ts";
import { type RedisSubscription, subscribeRedis } from "../adapters/redis_subscriber.ts";
import { type PriceTick, priceTickSchema } from "../market/types.ts";
import type { AlertMessage } from "./protocol.ts";

export type BusMessage =
  | { kind: "prices"; ticks: PriceTick[]; published_at: number; org?: string }
  | { kind: "alert"; alert: AlertMessage; org?: string; user?: string }
  /** An organization has new audit entries (its live activity feeds refresh). */
  | { kind: "audit"; org: string }
  /** An instance's open connections per organization, sent now and then: quotas count across instances. */
  | { kind: "census"; instance: string; counts: Record<string, number> };

export interface BusStats {
  kind: "redis" | "broadcast-channel" | "none";
  /** Subscribed and able to receive from other instances. */
  connected: boolean;
  published: number;
  received: number;
  /** Not sent because the transport was down (local fan-out still happened). */
  skipped: number;
  errors: number;
}

export interface RealtimeBus {
  readonly kind: BusStats["kind"];
  /** Starts receiving in the background; never waits for the transport. */
  start(onMessage: (msg: BusMessage) => void): void;
  publish(msg: BusMessage): void;
  stats(): BusStats;
  close(): Promise<void>;
}

export const BUS_VERSION = 1;

const envelopeSchema = z.discriminatedUnion("kind", [
  z.object({
    v: z.literal(BUS_VERSION),
    from: z.string().min(1).max(64),
    kind: z.literal("prices"),
    ticks: z.array(priceTickSchema).min(1).max(5000),
    published_at: z.number().finite(),
    org: z.string().max(64).optional(),
  }),
  z.object({
    v: z.literal(BUS_VERSION),
    from: z.string().min(1).max(64),
    kind: z.literal("alert"),
    alert: z.object({
      type: z.literal("alert"),
      id: z.string().max(64),
      level: z.enum(["info", "warning", "critical"]),
      title: z.string().max(200),
      message: z.string().max(2000),
      at: z.string().max(40),
      source: z.literal("admin").optional(),
      notification: z.object({ id: z.string().max(64), toast: z.boolean() }).optional(),
    }),
    org: z.string().max(64).optional(),
    user: z.string().max(64).optional(),
  }),
  z.object({
    v: z.literal(BUS_VERSION),
    from: z.string().min(1).max(64),
    kind: z.literal("audit"),
    org: z.string().min(1).max(64),
  }),
  z.object({
    v: z.literal(BUS_VERSION),
    from: z.string().min(1).max(64),
    kind: z.literal("census"),
    instance: z.string().min(1).max(64),
    counts: z.record(z.string().max(64), z.number().int().min(0).max(1_000_000)),
  }),
]);

/** The instance's own messages and anything malformed (another version mid-deploy) are dropped. */
function decode(raw: unknown, self: string): BusMessage | null {
  const r = envelopeSchema.safeParse(raw);
  if (!r.success || r.data.from === self) return null;
  const { v: _v, from: _from, ...msg } = r.data;
  return msg as BusMessage;
}

function counters(kind: BusStats["kind"]): BusStats {
  return { kind, connected: false, published: 0, received: 0, skipped: 0, errors: 0 };
}

export function createNullBus(): RealtimeBus {
  const s = counters("none");
  return {
    kind: "none",
    start() {},
    publish() {},
    stats: () => ({ ...s }),
    close: () => Promise.resolve(),
  };
}

export function createBroadcastChannelBus(opts: { name: string; instanceId: string }): RealtimeBus {
  const s = counters("broadcast-channel");
  let channel: BroadcastChannel | null = null;
  return {
    kind: "broadcast-channel",
    start(onMessage) {
      channel = new BroadcastChannel(opts.name);
      s.connected = true;
      channel.onmessage = (ev: MessageEvent) => {
        const msg = decode(ev.data, opts.instanceId);
        if (!msg) return;
        s.received++;
        onMessage(msg);
      };
    },
    publish(msg) {
      if (!channel) {
        s.skipped++;
        return;
      }
      try {
        channel.postMessage({ v: BUS_VERSION, from: opts.instanceId, ...msg });
        s.published++;
      } catch {
        s.errors++;
      }
    },
    stats: () => ({ ...s }),
    close() {
      channel?.close();
      channel = null;
      s.connected = false;
      return Promise.resolve();
    },
  };
}

export interface RedisBusOptions {
  url: string;
  /** Full channel name, under the app's REDIS_KEY_PREFIX. */
  channel: string;
  instanceId: string;
  /** The shared command connection while it is ready (a subscribed connection cannot publish). */
  publisher: () => Redis | null;
  /** Bound on connecting the subscriber. */
  timeoutMs: number;
}

export function createRedisBus(opts: RedisBusOptions): RealtimeBus {
  const s = counters("redis");
  let sub: RedisSubscription | null = null;
  return {
    kind: "redis",
    start(onMessage) {
      sub = subscribeRedis({
        url: opts.url,
        channel: opts.channel,
        timeoutMs: opts.timeoutMs,
        name: "realtime",
        onState: (connected) => (s.connected = connected),
        onJson(raw) {
          const msg = decode(raw, opts.instanceId);
          if (!msg) return;
          s.received++;
          onMessage(msg);
        },
      });
    },
    publish(msg) {
      const client = opts.publisher();
      if (!client) {
        s.skipped++;
        return;
      }
      s.published++;
      client.publish(opts.channel, JSON.stringify({ v: BUS_VERSION, from: opts.instanceId, ...msg })).catch(() => {
        s.errors++;
      });
    },
    stats: () => ({ ...s }),
    close() {
      sub?.close();
      sub = null;
      s.connected = false;
      return Promise.resolve();
    },
  };
}

/** Redis when configured; BroadcastChannel on Deno Deploy; else this instance alone. */
export function createRealtimeBus(
  config: Pick<Config, "redisUrl" | "redisKeyPrefix" | "serviceTimeoutMs" | "onDenoDeploy">,
  instanceId: string,
  publisher: () => Redis | null,
): RealtimeBus {
  const channel = `${config.redisKeyPrefix}realtime`;
  if (config.redisUrl) {
    return createRedisBus({ url: config.redisUrl, channel, instanceId, publisher, timeoutMs: config.serviceTimeoutMs });
  }
  if (config.onDenoDeploy) return createBroadcastChannelBus({ name: channel, instanceId });
  return createNullBus();
}
