/**
 * Fixed-window counters for auth endpoints: Redis (INCR + PEXPIRE, shared by
 * every instance) when it is up, Deno KV otherwise. A Redis error falls back to
 * KV for that call, so an outage never lets a request through unlimited and
 * never fails it either.
 */
import type { Redis } from "ioredis";
import { kvAdd } from "../adapters/kv.ts";

export interface RateRule {
  /** e.g. "login:ip" */
  scope: string;
  limit: number;
  windowMs: number;
}

export interface RateDecision {
  allowed: boolean;
  count: number;
  /** Seconds until the window resets (for Retry-After). */
  retryAfterS: number;
}

export interface RateLimiter {
  hit(rule: RateRule, id: string, now?: number): Promise<RateDecision>;
}

export function createRateLimiter(opts: {
  kv: () => Deno.Kv;
  redis: () => Pick<Redis, "multi"> | null;
  prefix: string;
}): RateLimiter {
  async function viaRedis(redis: Pick<Redis, "multi">, key: string, windowMs: number): Promise<number> {
    const res = await redis.multi().incr(key).pexpire(key, windowMs, "NX").exec();
    if (!res || res[0][0]) throw res?.[0][0] ?? new Error("redis transaction aborted");
    return Number(res[0][1]);
  }

  // Read-check-write in one atomic step (a busy shared KV file is waited out by the KV the app opens).
  const viaKv = (key: Deno.KvKey, windowMs: number) => kvAdd(opts.kv(), key, 1, windowMs * 2, "rate limit counter");

  return {
    async hit(rule, id, now = Date.now()) {
      const window = Math.floor(now / rule.windowMs);
      const retryAfterS = Math.max(1, Math.ceil(((window + 1) * rule.windowMs - now) / 1000));
      let count: number | undefined;
      const redis = opts.redis();
      if (redis) {
        try {
          count = await viaRedis(redis, `${opts.prefix}ratelimit:${rule.scope}:${id}:${window}`, rule.windowMs);
        } catch {
          count = undefined;
        }
      }
      count ??= await viaKv(["ratelimit", rule.scope, id, window], rule.windowMs);
      return { allowed: count <= rule.limit, count, retryAfterS };
    },
  };
}

/**
 * The auth endpoints' limits. Sign-in has no per-account counter here: one any stranger can fill
 * would refuse the owner too; failures per account are login_guard.ts's (per address, and a
 * growing delay only for addresses the account never used).
 */
export const AUTH_LIMITS = {
  loginPerIp: { scope: "login:ip", limit: 30, windowMs: 60_000 },
  registerPerIp: { scope: "register:ip", limit: 10, windowMs: 3_600_000 },
  refreshPerIp: { scope: "refresh:ip", limit: 60, windowMs: 60_000 },
  mfaPerAccount: { scope: "mfa:account", limit: 10, windowMs: 60_000 },
} satisfies Record<string, RateRule>;
