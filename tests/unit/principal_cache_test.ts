import assert from "node:assert/strict";
import { EpochCache, PrincipalCache } from "../../services/auth/principal_cache.ts";
import type { Principal } from "../../services/auth/principal.ts";

const p: Principal = { userId: "u", orgId: "o", role: "trader", email: "e", name: "n", via: "bearer" };

Deno.test("principal cache: hit within the TTL, miss after it", () => {
  const c = new PrincipalCache(1000);
  c.set("k", p, c.epoch(), 0);
  assert.deepEqual(c.get("k", 999), p);
  assert.equal(c.get("k", 1000), undefined);
});

Deno.test("principal cache: a change empties it, and a lookup that raced the change is not stored", () => {
  const c = new PrincipalCache(60_000);
  c.set("k", p, c.epoch());
  c.bump();
  assert.equal(c.get("k"), undefined);
  const startedBefore = c.epoch();
  c.bump(); // a role change commits while the lookup is in flight
  c.set("k", p, startedBefore);
  assert.equal(c.get("k"), undefined);
  c.set("k", p, c.epoch());
  assert.deepEqual(c.get("k"), p);
});

Deno.test("principal cache: bounded size", () => {
  const c = new PrincipalCache(60_000, 3);
  for (let i = 0; i < 10; i++) c.set(`k${i}`, p, c.epoch());
  assert.ok(c.get("k9"));
  assert.equal(c.get("k0"), undefined);
});

Deno.test("principal cache: an entry ends with the session it vouches for, before the TTL", () => {
  const c = new PrincipalCache(30_000);
  c.set("k", p, c.epoch(), 0, 1_000);
  assert.deepEqual(c.get("k", 999), p);
  assert.equal(c.get("k", 1_000), undefined);
  c.set("gone", p, c.epoch(), 2_000, 1_000);
  assert.equal(c.get("gone", 2_000), undefined, "a session already over is not stored");
});

Deno.test("epoch cache: one load for the requests in flight; a refusal is not kept; a bump mid-load is not stored", async () => {
  const c = new EpochCache<string>(60_000);
  let loads = 0;
  let release!: (v: string) => void;
  const load = () => {
    loads++;
    return new Promise<{ result: string; value: string }>((res) => (release = (v) => res({ result: v, value: v })));
  };
  const all = Promise.all([1, 2, 3].map(() => c.through("k", load, (v) => v)));
  release("a");
  assert.deepEqual(await all, ["a", "a", "a"]);
  assert.equal(loads, 1);
  assert.equal(await c.through("k", load, (v) => `hit ${v}`), "hit a");

  const refused = await c.through("no", () => Promise.resolve({ result: "refused" }), (v) => v);
  assert.equal(refused, "refused");
  assert.equal(c.get("no"), undefined);

  c.bump();
  const racing = c.through("k", load, (v) => v);
  c.bump(); // a change commits while the lookup is in flight
  release("old");
  assert.equal(await racing, "old");
  assert.equal(c.get("k"), undefined, "the answer read before the change is not kept");
});
