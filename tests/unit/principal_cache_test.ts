import assert from "node:assert/strict";
import { PrincipalCache } from "../../services/auth/principal_cache.ts";
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
