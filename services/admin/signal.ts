/**
 * "Something an admin changed": how every app instance learns within a second that flags, quotas or an
 * organization's status changed, so it reloads them (and forgets the principals it cached).
 *
 * Redis pub/sub when REDIS_URL is set (instances share Redis, not their KV); Deno KV always as well: a
 * `watch` on one key, backed by a read of it every 250 ms (`watch` may skip values and, on a local KV
 * file, may not see another process's write). A receiver reloads everything, so a lost or merged
 * signal costs nothing but the next one. Sending never throws: an instance that misses a signal still
 * reloads on its periodic refresh.
 */
import type { Redis } from "ioredis";
import { type RedisSubscription, subscribeRedis } from "../adapters/redis_subscriber.ts";
import { errorMessage } from "../health/registry.ts";
import { log } from "../log/logger.ts";

export type AdminTopic = "flags" | "quotas" | "orgs";

export interface AdminSignal {
  start(onChange: (topic: AdminTopic) => void): void;
  publish(topic: AdminTopic): void;
  close(): void;
}

const KEY = ["admin", "signal"] as const;
const POLL_MS = 250;

interface Envelope {
  from: string;
  topic: AdminTopic;
}

function decode(raw: unknown, self: string): AdminTopic | null {
  if (!raw || typeof raw !== "object") return null;
  const e = raw as Partial<Envelope>;
  if (typeof e.from !== "string" || e.from === self) return null;
  return e.topic === "flags" || e.topic === "quotas" || e.topic === "orgs" ? e.topic : null;
}

export function createAdminSignal(opts: {
  instanceId: string;
  kv: () => Deno.Kv;
  redisUrl?: string;
  /** The shared command connection while it is ready (a subscribed connection cannot publish). */
  publisher: () => Redis | null;
  channel: string;
  timeoutMs: number;
}): AdminSignal {
  let closed = false;
  let sub: RedisSubscription | null = null;
  let poll: ReturnType<typeof setInterval> | undefined;
  let watcher: ReadableStream<Deno.KvEntryMaybe<unknown>[]> | null = null;
  let seen: string | null = null;

  function fromKv(entry: Deno.KvEntryMaybe<unknown>, onChange: (t: AdminTopic) => void) {
    if (entry.versionstamp === seen) return;
    const first = seen === null;
    seen = entry.versionstamp ?? "";
    if (first) return; // what was there before this instance started is already loaded
    const topic = decode(entry.value, opts.instanceId);
    if (topic) onChange(topic);
  }

  return {
    start(onChange) {
      const kv = opts.kv();
      kv.get(KEY).then((e) => {
        seen ??= e.versionstamp ?? "";
      }).catch(() => {});
      poll = setInterval(() => {
        if (closed) return;
        kv.get(KEY).then((e) => fromKv(e, onChange)).catch(() => {});
      }, POLL_MS);
      Deno.unrefTimer(poll);
      try {
        watcher = kv.watch([[...KEY]]);
        (async () => {
          for await (const [entry] of watcher!) if (!closed) fromKv(entry, onChange);
        })().catch(() => {});
      } catch {
        watcher = null; // the poll alone is enough
      }
      if (!opts.redisUrl) return;
      sub = subscribeRedis({
        url: opts.redisUrl,
        channel: opts.channel,
        timeoutMs: opts.timeoutMs,
        name: "admin signal",
        onJson(raw) {
          const topic = decode(raw, opts.instanceId);
          if (topic) onChange(topic);
        },
      });
    },
    publish(topic) {
      const env: Envelope = { from: opts.instanceId, topic };
      opts.kv().set(KEY, env).catch((e) => log.warn("admin signal not written to KV", { error: errorMessage(e) }));
      const redis = opts.redisUrl ? opts.publisher() : null;
      redis?.publish(opts.channel, JSON.stringify(env)).catch(() => {});
    },
    close() {
      closed = true;
      clearInterval(poll);
      watcher?.cancel().catch(() => {});
      sub?.close();
      sub = null;
    },
  };
}
