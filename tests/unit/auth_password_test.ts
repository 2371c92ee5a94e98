import assert from "node:assert/strict";
import { argon2i, argon2id } from "hash-wasm";
import {
  ARGON2_PARAMS,
  DUMMY_HASH,
  hashPassword,
  needsRehash,
  verifyAgainstDummy,
  verifyPassword,
} from "../../services/auth/password.ts";

const PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$/;
const pw = "tangerine-oboe-fjord-quill";

Deno.test("password: hash is an argon2id PHC string with the OWASP parameters and a 16-byte salt", async () => {
  const stored = await hashPassword(pw);
  const m = PHC.exec(stored);
  assert.ok(m, stored);
  assert.equal(atob(m[1] + "==").length, ARGON2_PARAMS.saltLength);
  assert.equal(atob(m[2] + "=").length, ARGON2_PARAMS.hashLength);
  assert.equal(needsRehash(stored), false);
});

Deno.test("password: the same password hashes differently each time (random salt)", async () => {
  const [a, b] = await Promise.all([hashPassword(pw), hashPassword(pw)]);
  assert.notEqual(a, b);
  assert.ok(await verifyPassword(pw, a));
  assert.ok(await verifyPassword(pw, b));
});

Deno.test("password: verify is true for the password and false for anything else", async () => {
  const stored = await hashPassword(pw);
  assert.equal(await verifyPassword(pw, stored), true);
  for (const wrong of ["tangerine-oboe-fjord-quilL", "tangerine-oboe-fjord-quill ", "tangerine", " ", ""]) {
    assert.equal(await verifyPassword(wrong, stored), false, JSON.stringify(wrong));
  }
});

Deno.test("password: Unicode is normalised, so composed and decomposed accents are the same password", async () => {
  const composed = "caf\u00e9-oboe-fjord-quill";
  const decomposed = "cafe\u0301-oboe-fjord-quill";
  assert.notEqual(composed, decomposed);
  const stored = await hashPassword(composed);
  assert.equal(await verifyPassword(decomposed, stored), true);
});

Deno.test("password: malformed, foreign or hostile stored values are false, never a throw", async () => {
  const good = await hashPassword(pw);
  const [, salt, hash] = PHC.exec(good)!;
  const salt16 = new Uint8Array(16);
  const argon2iHash = await argon2i({
    password: pw,
    salt: salt16,
    memorySize: 19456,
    iterations: 2,
    parallelism: 1,
    hashLength: 32,
    outputType: "encoded",
  });
  const cases: Record<string, unknown> = {
    empty: "",
    garbage: "not a hash",
    bcrypt: "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
    "plain hex sha256": "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
    "argon2i (we only write argon2id)": argon2iHash,
    "argon2d": good.replace("$argon2id$", "$argon2d$"),
    "version 16": good.replace("v=19", "v=16"),
    "truncated hash": good.slice(0, -10),
    "missing hash": good.slice(0, good.lastIndexOf("$")),
    "bad base64": good.slice(0, -1) + "!",
    "memory 4 GiB (DoS)": `$argon2id$v=19$m=4194304,t=2,p=1$${salt}$${hash}`,
    "iterations 1000 (DoS)": `$argon2id$v=19$m=19456,t=1000,p=1$${salt}$${hash}`,
    "iterations 0": `$argon2id$v=19$m=19456,t=0,p=1$${salt}$${hash}`,
    "parallelism 0": `$argon2id$v=19$m=19456,t=2,p=0$${salt}$${hash}`,
    "memory below 8*p": `$argon2id$v=19$m=4,t=2,p=1$${salt}$${hash}`,
    "params reordered": `$argon2id$v=19$t=2,m=19456,p=1$${salt}$${hash}`,
    "trailing newline": good + "\n",
    null: null,
    number: 42,
    object: { hash: good },
  };
  for (const [name, stored] of Object.entries(cases)) {
    assert.equal(await verifyPassword(pw, stored as string), false, name);
    assert.equal(needsRehash(stored as string), true, name);
  }
});

Deno.test("password: empty or oversized passwords are refused without hashing", async () => {
  const stored = await hashPassword(pw);
  assert.equal(await verifyPassword("", stored), false);
  assert.equal(await verifyPassword("x".repeat(100_000), stored), false);
  assert.equal(await verifyPassword(undefined as unknown as string, stored), false);
  await assert.rejects(hashPassword(""), TypeError);
  await assert.rejects(hashPassword("x".repeat(100_000)), RangeError);
});

Deno.test("password: needsRehash flags hashes made with other parameters", async () => {
  const old = await argon2id({
    password: pw,
    salt: crypto.getRandomValues(new Uint8Array(16)),
    memorySize: 8192,
    iterations: 3,
    parallelism: 1,
    hashLength: 32,
    outputType: "encoded",
  });
  assert.equal(await verifyPassword(pw, old), true, "older parameters still verify");
  assert.equal(needsRehash(old), true);
  assert.equal(needsRehash(await hashPassword(pw)), false);
});

Deno.test("password: the dummy hash uses today's parameters and never verifies", async () => {
  assert.match(DUMMY_HASH, PHC);
  assert.equal(needsRehash(DUMMY_HASH), false, "DUMMY_HASH must be regenerated when ARGON2_PARAMS change");
  assert.equal(await verifyAgainstDummy(pw), false);
  assert.equal(await verifyAgainstDummy(""), false);
});

Deno.test("password: an unknown-email check costs about as much as a real verify", async () => {
  const stored = await hashPassword(pw);
  // Warm the wasm module so neither side pays for compilation.
  await verifyPassword(pw, stored);
  await verifyAgainstDummy(pw);
  // The same parameters, so the same work by construction; what a clock can add is that the dummy really
  // runs argon2 (a skipped check would cost microseconds, not milliseconds). Interleaved, best of five, and
  // an order-of-magnitude bound: test files run in parallel on a loaded machine.
  assert.equal(needsRehash(DUMMY_HASH), false, "the dummy hash has today's parameters");
  let real = Infinity, dummy = Infinity;
  for (let i = 0; i < 5; i++) {
    let t = performance.now();
    await verifyPassword("wrong-password-here", stored);
    real = Math.min(real, performance.now() - t);
    t = performance.now();
    await verifyAgainstDummy("wrong-password-here");
    dummy = Math.min(dummy, performance.now() - t);
  }
  assert.ok(dummy > real / 5 && dummy < real * 5, `real ${real.toFixed(1)} ms vs dummy ${dummy.toFixed(1)} ms`);
});
