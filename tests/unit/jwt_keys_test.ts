import assert from "node:assert/strict";
import { loadJwtKeys } from "../../services/auth/keys.ts";
import { signAccessToken, verifyAccessToken } from "../../services/auth/jwt.ts";
import { flushLogs, setLogSink } from "../../services/log/logger.ts";

const jwt = { alg: "HS256" as const, issuer: "optibid", audience: "optibid" };
const claims = {
  sub: crypto.randomUUID(),
  org: crypto.randomUUID(),
  role: "viewer" as const,
  sid: crypto.randomUUID(),
};

Deno.test("without JWT_SECRET a secret is generated once, kept in KV, and warned about once", async () => {
  const kv = await Deno.openKv(":memory:");
  const lines: string[] = [];
  const restore = setLogSink((l) => lines.push(l));
  try {
    const a = await loadJwtKeys({ jwt }, kv);
    const b = await loadJwtKeys({ jwt }, kv); // a restart: same KV
    flushLogs();
    const token = await signAccessToken(a, claims);
    assert.equal((await verifyAccessToken(b, token)).sub, claims.sub, "tokens survive a restart");
    const stored = String((await kv.get(["auth", "jwt_secret"])).value);
    assert.ok(stored.length >= 32, "the secret is in KV");
    const warnings = lines.filter((l) => l.includes("JWT_SECRET is not set"));
    assert.equal(warnings.length, 1);
    assert.ok(!lines.some((l) => l.includes(stored)), "never logged");
  } finally {
    restore();
    kv.close();
  }
});

Deno.test("JWT_SECRET, when set, is used and KV is not written", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const secret = "x".repeat(40);
    const keys = await loadJwtKeys({ jwt: { ...jwt, secret } }, kv);
    const other = await loadJwtKeys({ jwt: { ...jwt, secret: "y".repeat(40) } }, kv);
    const token = await signAccessToken(keys, claims);
    await assert.rejects(() => verifyAccessToken(other, token));
    assert.equal((await kv.get(["auth", "jwt_secret"])).value, null);
  } finally {
    kv.close();
  }
});
