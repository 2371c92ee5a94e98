/**
 * A get/set/delete cache with TTLs: Redis when it is up, Deno KV otherwise,
 * switching per call as Redis comes and goes (a failed Redis command falls back
 * to KV for that call; the caller never sees Redis' outage).
 *
 * Not serving stale values across switches:
 * - a write to Redis also deletes the key from KV, so a later fallback cannot
 *   find an older KV copy;
 * - a write or delete that went to KV while Redis was down leaves a "dirty"
 *   marker; before Redis is used again those keys are deleted in Redis, whose
 *   copies predate the outage.
 *
 * KV entries carry their own expiry time: `expireIn` only lets KV delete a key
 * some time later (a local KV keeps expired keys readable for many seconds), so a
 * read checks the time itself, as Redis' PX does. They hold the value's JSON as
 * UTF-8 bytes, like Redis, so MAX_VALUE_BYTES is what KV stores too (a V8-serialised
 * object can be twice its JSON size: an array of floats, a string with one emoji).
 */
import type { Redis } from "ioredis";
import { log } from "../log/logger.ts";

export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Which store served the last call. */
  backend(): "redis" | "kv";
}

export type RedisLike = Pick<Redis, "get" | "set" | "del">;

export class CacheValueTooLargeError extends Error {
  constructor(key: string, bytes: number) {
    super(`cache value for "${key}" is ${bytes} bytes; the limit is ${MAX_VALUE_BYTES}`);
    this.name = "CacheValueTooLargeError";
  }
}

/** Deno KV's value limit is 64 KiB; the same limit applies on Redis so both stores behave alike. */
export const MAX_VALUE_BYTES = 60 * 1024;

export interface CacheOptions {
  kv: () => Deno.Kv;
  redis: () => RedisLike | null;
  prefix: string;
  namespace: string;
}

/** What the cache stores in KV: the value's JSON (UTF-8) and its expiry (ms since the epoch). */
interface KvCacheEntry {
  json: Uint8Array;
  expiresAt: number;
}

function isLive(entry: unknown, now: number): entry is KvCacheEntry {
  if (typeof entry !== "object" || entry === null) return false;
  const { json, expiresAt } = entry as Partial<KvCacheEntry>;
  return json instanceof Uint8Array && typeof expiresAt === "number" && expiresAt > now;
}

export function createCache(opts: CacheOptions): Cache {
  const { namespace } = opts;
  const redisKey = (key: string) => `${opts.prefix}cache:${namespace}:${key}`;
  const kvKey = (key: string): Deno.KvKey => ["cache", namespace, key];
  const dirtyKey = (key: string): Deno.KvKey => ["cache_dirty", namespace, key];
  let last: "redis" | "kv" = "kv";
  // Unknown at start (a previous process may have left markers): check once Redis is first used.
  let mayBeDirty = true;

  async function markDirty(key: string, ttlMs: number) {
    mayBeDirty = true;
    await opts.kv().set(dirtyKey(key), true, { expireIn: Math.max(ttlMs, 60_000) });
  }

  /** Deletes in Redis every key written to KV during an outage; false if Redis failed meanwhile. */
  async function reconcile(redis: RedisLike): Promise<boolean> {
    if (!mayBeDirty) return true;
    const kv = opts.kv();
    const keys: string[] = [];
    for await (const e of kv.list<boolean>({ prefix: ["cache_dirty", namespace] }, { limit: 1000 })) {
      keys.push(String(e.key[2]));
    }
    if (keys.length) await redis.del(...keys.map(redisKey));
    const atomic = kv.atomic();
    for (const k of keys) atomic.delete(dirtyKey(k));
    if (keys.length) await atomic.commit();
    mayBeDirty = keys.length === 1000;
    if (keys.length) log.info("cache reconciled after a Redis outage", { namespace, keys: keys.length });
    return true;
  }

  async function withRedis<T>(fn: (r: RedisLike) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    const redis = opts.redis();
    if (!redis) return { ok: false };
    try {
      await reconcile(redis);
      const value = await fn(redis);
      last = "redis";
      return { ok: true, value };
    } catch {
      return { ok: false };
    }
  }

  return {
    async get<T>(key: string) {
      const r = await withRedis((redis) => redis.get(redisKey(key)));
      if (r.ok) return r.value === null ? undefined : JSON.parse(r.value) as T;
      last = "kv";
      const entry = await opts.kv().get(kvKey(key));
      if (!isLive(entry.value, Date.now())) return undefined;
      return JSON.parse(new TextDecoder().decode(entry.value.json)) as T;
    },
    async set(key, value, ttlMs) {
      const json: string | undefined = JSON.stringify(value);
      if (json === undefined) throw new TypeError(`cache value for "${key}" is not JSON-serialisable`);
      const encoded = new TextEncoder().encode(json);
      const bytes = encoded.length;
      if (bytes > MAX_VALUE_BYTES) throw new CacheValueTooLargeError(key, bytes);
      if (!(ttlMs > 0)) throw new RangeError("ttlMs must be positive");
      const r = await withRedis((redis) => redis.set(redisKey(key), json, "PX", Math.ceil(ttlMs)));
      if (r.ok) {
        await opts.kv().delete(kvKey(key));
        return;
      }
      last = "kv";
      const entry: KvCacheEntry = { json: encoded, expiresAt: Date.now() + ttlMs };
      await opts.kv().set(kvKey(key), entry, { expireIn: ttlMs });
      await markDirty(key, ttlMs);
    },
    async delete(key) {
      await opts.kv().delete(kvKey(key));
      const r = await withRedis((redis) => redis.del(redisKey(key)));
      if (!r.ok) await markDirty(key, 60_000);
    },
    backend: () => last,
  };
}
