/** The auth rate limiter's KV counter (services/auth/rate_limit.ts) when the KV file is busy. */
import assert from "node:assert/strict";
import { createRateLimiter } from "../../services/auth/rate_limit.ts";
import { retryWhileBusy } from "../../services/adapters/kv_busy.ts";

const rule = { scope: "login:ip", limit: 2, windowMs: 60_000 };

/** A real in-memory KV whose first `failures` commits throw as a busy shared SQLite file does. */
function busyKv(kv: Deno.Kv, failures: number, message = "database is locked"): Deno.Kv {
  let left = failures;
  return new Proxy(kv, {
    get(target, prop) {
      if (prop === "atomic") {
        return () => {
          const op = target.atomic();
          const commit = op.commit.bind(op);
          // An own property: check() and set() return the operation itself, so the chain reaches this one.
          op.commit = () => left-- > 0 ? Promise.reject(new TypeError(message)) : commit();
          return op;
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

Deno.test("rate limiter: a busy KV file ('database is locked') is waited out, not a failed request", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    // As the app opens its KV (adapters/kv.ts): the busy file is waited out beneath the limiter.
    const busy = retryWhileBusy(busyKv(kv, 3));
    const limiter = createRateLimiter({ kv: () => busy, redis: () => null, prefix: "t:" });
    const now = Date.UTC(2026, 0, 1);
    assert.deepEqual(await limiter.hit(rule, "10.0.0.1", now), { allowed: true, count: 1, retryAfterS: 60 });
    assert.equal((await limiter.hit(rule, "10.0.0.1", now)).count, 2);
    assert.equal((await limiter.hit(rule, "10.0.0.1", now)).allowed, false, "the counts are still exact");
  } finally {
    kv.close();
  }
});

Deno.test("rate limiter: any other KV error is not retried", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const broken = retryWhileBusy(busyKv(kv, 1, "disk I/O error"));
    const limiter = createRateLimiter({ kv: () => broken, redis: () => null, prefix: "t:" });
    await assert.rejects(limiter.hit(rule, "10.0.0.2"), /disk I\/O error/);
  } finally {
    kv.close();
  }
});
