/**
 * "Something changed": how every app instance learns within a second that flags, quotas or an
 * organization's status changed, so it reloads them, or that sessions, memberships, roles, users or
 * profiles changed ("auth"), so it forgets the principals and profiles it cached.
 *
 * Redis pub/sub when REDIS_URL is set (instances share Redis, not their KV); Deno KV always as well: a
 * `watch` on one key per topic, backed by a read of them every 250 ms (`watch` may skip values and, on a
 * local KV file, may not see another process's write). A key per topic, so that two topics signalled in
 * one poll interval are both seen; a receiver reloads the whole topic, so merged signals of one topic
 * cost nothing. Sending never throws: an instance that misses a signal still reloads on its periodic
 * refresh (and its auth caches expire).
 */
import type { Redis } from "ioredis";
import { type RedisSubscription, subscribeRedis } from "../adapters/redis_subscriber.ts";
import { errorMessage } from "../health/registry.ts";
import { log } from "../log/logger.ts";

export type AdminTopic = "flags" | "quotas" | "orgs" | "auth";

const TOPICS: readonly AdminTopic[] = ["flags", "quotas", "orgs", "auth"];

export interface AdminSignal {
  start(onChange: (topic: AdminTopic) => void): void;
  publish(topic: AdminTopic): void;
  close(): void;
}

const keyOf = (topic: AdminTopic) => ["admin", "signal", topic] as const;
const POLL_MS = 250;

interface Envelope {
  from: string;
  topic: AdminTopic;
}

function decode(raw: unknown, self: string): AdminTopic | null {
  if (!raw || typeof raw !== "object") return null;
  const e = raw as Partial<Envelope>;
  if (typeof e.from !== "string" || e.from === self) return null;
  return TOPICS.includes(e.topic as AdminTopic) ? e.topic as AdminTopic : null;
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
  /** The versionstamp last seen per topic; absent until the first read. */
  const seen = new Map<AdminTopic, string>();
  const keys = TOPICS.map((t) => [...keyOf(t)]);

  function fromKv(topic: AdminTopic, entry: Deno.KvEntryMaybe<unknown>, onChange: (t: AdminTopic) => void) {
    const stamp = entry.versionstamp ?? "";
    const before = seen.get(topic);
    if (stamp === before) return;
    seen.set(topic, stamp);
    if (before === undefined) return; // what was there before this instance started is already loaded
    if (decode(entry.value, opts.instanceId) === topic) onChange(topic);
  }
  const fromKvAll = (entries: Deno.KvEntryMaybe<unknown>[], onChange: (t: AdminTopic) => void) =>
    entries.forEach((e, i) => fromKv(TOPICS[i], e, onChange));

  return {
    start(onChange) {
      const kv = opts.kv();
      kv.getMany(keys).then((es) =>
        es.forEach((e, i) => seen.has(TOPICS[i]) || seen.set(TOPICS[i], e.versionstamp ?? ""))
      )
        .catch(() => {});
      poll = setInterval(() => {
        if (closed) return;
        kv.getMany(keys).then((es) => fromKvAll(es, onChange)).catch(() => {});
      }, POLL_MS);
      Deno.unrefTimer(poll);
      try {
        watcher = kv.watch(keys);
        (async () => {
          for await (const entries of watcher!) if (!closed) fromKvAll(entries, onChange);
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
      opts.kv().set(keyOf(topic), env).catch((e) =>
        log.warn("admin signal not written to KV", { error: errorMessage(e) })
      );
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
