import assert from "node:assert/strict";
import { base64url, decodeProtectedHeader, exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from "jose";
import {
  type AccessClaims,
  createJwtKeys,
  type JwtKeys,
  signAccessToken,
  TokenError,
  verifyAccessToken,
} from "../../services/auth/jwt.ts";

const NOW = Date.parse("2026-03-01T12:00:00Z");
const NOW_S = NOW / 1000;
const SECRET = "k3y-for-tests-only-0123456789abcdefghijklmnopqrstuv";
const claims = {
  sub: "5b0e3a8e-8f1c-4a47-9d2e-0c6f1a2b3c4d",
  org: "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
  role: "trader",
  sid: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
} as const;

async function pemPair(alg: "EdDSA" | "ES256") {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKeyPem: await exportPKCS8(privateKey), publicKeyPem: await exportSPKI(publicKey) };
}

const ed = await pemPair("EdDSA");
const es = await pemPair("ES256");
const keySets: Record<string, JwtKeys> = {
  HS256: await createJwtKeys({ secret: SECRET }),
  EdDSA: await createJwtKeys({ ...ed, alg: "EdDSA" }),
  ES256: await createJwtKeys({ ...es, alg: "ES256" }),
};
const publicPem: Record<string, string> = { EdDSA: ed.publicKeyPem, ES256: es.publicKeyPem };

const enc = (v: unknown) => base64url.encode(JSON.stringify(v));

function parts(token: string) {
  const [h, p, s] = token.split(".");
  return {
    header: JSON.parse(new TextDecoder().decode(base64url.decode(h))),
    payload: JSON.parse(new TextDecoder().decode(base64url.decode(p))),
    h,
    p,
    s,
  };
}

/** A well-formed payload for `keys`, as our signer would write it, with overrides. */
function payload(keys: JwtKeys, over: Record<string, unknown> = {}) {
  return {
    org: claims.org,
    role: claims.role,
    sid: claims.sid,
    sub: claims.sub,
    iss: keys.issuer,
    aud: keys.audience,
    iat: NOW_S,
    nbf: NOW_S,
    exp: NOW_S + 900,
    jti: crypto.randomUUID(),
    ...over,
  };
}

/**
 * Sign any header/payload with any key straight through WebCrypto: jose (rightly) refuses
 * to produce some of the tokens an attacker would send, such as unknown `crit` headers.
 */
async function forge(
  header: Record<string, unknown>,
  body: Record<string, unknown>,
  key: CryptoKey | Uint8Array<ArrayBuffer>,
) {
  const input = `${enc(header)}.${enc(body)}`;
  const data = new TextEncoder().encode(input);
  let sig: ArrayBuffer;
  if (key instanceof Uint8Array) {
    const hmac = await crypto.subtle.importKey(
      "raw",
      key,
      { name: "HMAC", hash: header.alg === "HS512" ? "SHA-512" : "SHA-256" },
      false,
      ["sign"],
    );
    sig = await crypto.subtle.sign("HMAC", hmac, data);
  } else if (key.algorithm.name === "ECDSA") {
    sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, data);
  } else {
    sig = await crypto.subtle.sign(key.algorithm.name, key, data);
  }
  return `${input}.${base64url.encode(new Uint8Array(sig))}`;
}

async function rejects(keys: JwtKeys, token: string, code: TokenError["code"], label: string) {
  await assert.rejects(verifyAccessToken(keys, token, { now: NOW }), (e: unknown) => {
    assert.ok(e instanceof TokenError, `${label}: expected TokenError, got ${e}`);
    assert.equal(e.code, code, `${label}: ${e.message} / ${(e.cause as Error | undefined)?.message}`);
    return true;
  }, label);
}

for (const [alg, keys] of Object.entries(keySets)) {
  Deno.test(`jwt ${alg}: a fresh token verifies and yields exactly the access claims`, async () => {
    const token = await signAccessToken(keys, claims, { now: NOW });
    const got = await verifyAccessToken(keys, token, { now: NOW });
    const want: AccessClaims = { ...claims, iat: NOW_S, exp: NOW_S + 900 };
    assert.deepEqual(got, want);

    const { header, payload } = parts(token);
    assert.deepEqual(header, { alg, typ: "at+jwt", kid: keys.kid });
    assert.equal(payload.iss, keys.issuer);
    assert.equal(payload.aud, keys.audience);
    assert.equal(payload.nbf, NOW_S);
    assert.match(payload.jti, /^[0-9a-f-]{36}$/);
  });

  Deno.test(`jwt ${alg}: custom ttl, and clock tolerance of a few seconds at both ends`, async () => {
    const token = await signAccessToken(keys, claims, { now: NOW, ttlSeconds: 60 });
    assert.equal((await verifyAccessToken(keys, token, { now: NOW })).exp, NOW_S + 60);
    await verifyAccessToken(keys, token, { now: NOW - 4_000 }); // nbf 4 s ahead of our clock
    await verifyAccessToken(keys, token, { now: NOW + 64_000 }); // exp 4 s behind
    await assert.rejects(verifyAccessToken(keys, token, { now: NOW - 6_000 }), { code: "invalid_token" });
    await assert.rejects(verifyAccessToken(keys, token, { now: NOW + 66_000 }), { code: "expired_token" });
  });

  Deno.test(`jwt ${alg}: forged, confused, tampered and misaddressed tokens are all rejected`, async () => {
    const good = await signAccessToken(keys, claims, { now: NOW });
    const g = parts(good);
    const hdr = { alg, typ: "at+jwt", kid: keys.kid };
    const key = keys.signingKey!;
    const otherKeys = alg === "HS256"
      ? await createJwtKeys({ secret: `${SECRET}-but-another-one` })
      : await createJwtKeys({ ...await pemPair(alg as "EdDSA" | "ES256"), alg: alg as "EdDSA" | "ES256" });

    // Controls: the forger's output is accepted when nothing is wrong with it, so each
    // rejection below is down to the one thing that case changes.
    assert.equal((await verifyAccessToken(keys, await forge(hdr, payload(keys), key), { now: NOW })).role, "trader");
    if (alg === "HS256") {
      const raw = new TextEncoder().encode(SECRET);
      assert.equal((await verifyAccessToken(keys, await forge(hdr, payload(keys), raw), { now: NOW })).sub, claims.sub);
    }

    const cases: [string, string | Promise<string>, TokenError["code"]][] = [
      ["alg none, no signature", `${enc({ alg: "none", typ: "at+jwt", kid: keys.kid })}.${g.p}.`, "invalid_token"],
      [
        "alg none, original signature",
        `${enc({ alg: "none", typ: "at+jwt", kid: keys.kid })}.${g.p}.${g.s}`,
        "invalid_token",
      ],
      ["alg NONE", `${enc({ alg: "NONE", typ: "at+jwt" })}.${g.p}.`, "invalid_token"],
      ["wrong key, our kid", forge(hdr, payload(keys), otherKeys.signingKey!), "invalid_token"],
      ["role tampered to admin", `${g.h}.${enc({ ...g.payload, role: "admin" })}.${g.s}`, "invalid_token"],
      ["exp tampered forward", `${g.h}.${enc({ ...g.payload, exp: g.payload.exp + 86_400 })}.${g.s}`, "invalid_token"],
      ["typ stripped from a signed header", `${enc({ alg, kid: keys.kid })}.${g.p}.${g.s}`, "invalid_token"],
      [
        "signature of another token",
        `${g.h}.${g.p}.${parts(await signAccessToken(keys, claims, { now: NOW })).s}`,
        "invalid_token",
      ],
      ["signature stripped", `${g.h}.${g.p}.`, "invalid_token"],
      ["expired", signAccessToken(keys, claims, { now: NOW - 910_000 }), "expired_token"],
      [
        "expired and badly signed",
        forge(hdr, payload(keys, { iat: NOW_S - 2000, nbf: NOW_S - 2000, exp: NOW_S - 1000 }), otherKeys.signingKey!),
        "invalid_token",
      ],
      [
        "older than the maximum lifetime",
        forge(hdr, payload(keys, { iat: NOW_S - 90_000, nbf: NOW_S - 90_000 }), key),
        "expired_token",
      ],
      ["not yet valid (nbf)", signAccessToken(keys, claims, { now: NOW + 60_000 }), "invalid_token"],
      ["nbf in the future, iat now", forge(hdr, payload(keys, { nbf: NOW_S + 600 }), key), "invalid_token"],
      ["iat in the future", forge(hdr, payload(keys, { iat: NOW_S + 600 }), key), "invalid_token"],
      ["wrong aud", forge(hdr, payload(keys, { aud: "optibid-admin" }), key), "invalid_token"],
      ["aud array without ours", forge(hdr, payload(keys, { aud: ["someone-else"] }), key), "invalid_token"],
      ["aud array including ours", forge(hdr, payload(keys, { aud: [keys.audience, "x"] }), key), "invalid_token"],
      ["wrong iss", forge(hdr, payload(keys, { iss: "https://evil.example" }), key), "invalid_token"],
      ["missing typ", forge({ alg, kid: keys.kid }, payload(keys), key), "invalid_token"],
      ["typ JWT (ID token style)", forge({ ...hdr, typ: "JWT" }, payload(keys), key), "invalid_token"],
      ["typ rt+jwt (refresh style)", forge({ ...hdr, typ: "rt+jwt" }, payload(keys), key), "invalid_token"],
      ["typ application/at+jwt", forge({ ...hdr, typ: "application/at+jwt" }, payload(keys), key), "invalid_token"],
      ["typ AT+JWT", forge({ ...hdr, typ: "AT+JWT" }, payload(keys), key), "invalid_token"],
      ["unknown kid", forge({ ...hdr, kid: "another-key" }, payload(keys), key), "invalid_token"],
      [
        "kid of another key set",
        forge({ ...hdr, kid: otherKeys.kid }, payload(keys), otherKeys.signingKey!),
        "invalid_token",
      ],
      ["kid path traversal", forge({ ...hdr, kid: "../../../dev/null" }, payload(keys), key), "invalid_token"],
      ["kid not a string", `${enc({ ...hdr, kid: 7 })}.${g.p}.${g.s}`, "invalid_token"],
      ["kid __proto__", forge({ ...hdr, kid: "__proto__" }, payload(keys), key), "invalid_token"],
      ["role outside the enum", forge(hdr, payload(keys, { role: "superadmin" }), key), "invalid_token"],
      ["role not a string", forge(hdr, payload(keys, { role: ["admin"] }), key), "invalid_token"],
      ["missing org", forge(hdr, { ...payload(keys), org: undefined }, key), "invalid_token"],
      ["missing sid", forge(hdr, { ...payload(keys), sid: undefined }, key), "invalid_token"],
      ["missing sub", forge(hdr, { ...payload(keys), sub: undefined }, key), "invalid_token"],
      ["empty sub", forge(hdr, payload(keys, { sub: "" }), key), "invalid_token"],
      // Correctly signed, but not the UUIDs our rows are keyed by: refused before any query sees them.
      ["sub not a UUID", forge(hdr, payload(keys, { sub: "user-1" }), key), "invalid_token"],
      ["org not a UUID", forge(hdr, payload(keys, { org: "1 OR 1=1" }), key), "invalid_token"],
      ["sid not a UUID", forge(hdr, payload(keys, { sid: "sess\u0000" }), key), "invalid_token"],
      ["missing exp", forge(hdr, { ...payload(keys), exp: undefined }, key), "invalid_token"],
      ["missing nbf", forge(hdr, { ...payload(keys), nbf: undefined }, key), "invalid_token"],
      ["missing jti", forge(hdr, { ...payload(keys), jti: undefined }, key), "invalid_token"],
      ["exp as a string", forge(hdr, payload(keys, { exp: String(NOW_S + 900) }), key), "invalid_token"],
      ["fractional iat", forge(hdr, payload(keys, { iat: NOW_S + 0.5 }), key), "invalid_token"],
      ["crit header", forge({ ...hdr, crit: ["exp"], exp: 1 }, payload(keys), key), "invalid_token"],
      ["unencoded payload (b64 false)", `${enc({ ...hdr, b64: false, crit: ["b64"] })}.${g.p}.${g.s}`, "invalid_token"],
      ["JWE-shaped (5 parts)", `${g.h}.${g.p}.${g.s}.x.y`, "invalid_token"],
    ];

    if (alg !== "HS256") {
      // The classic confusion: HMAC "signed" with the public key text an attacker can download.
      const pem = publicPem[alg];
      const jwkText = JSON.stringify(keys.publicJwk);
      for (
        const [label, secret] of [
          ["HS256 keyed with the public PEM", pem],
          ["HS256 keyed with the public PEM, trimmed", pem.trim()],
          ["HS256 keyed with the public JWK JSON", jwkText],
        ] as const
      ) {
        const hmac = new TextEncoder().encode(secret);
        cases.push([
          label,
          forge({ alg: "HS256", typ: "at+jwt", kid: keys.kid }, payload(keys), hmac),
          "invalid_token",
        ]);
        cases.push([`${label}, no kid`, forge({ alg: "HS256", typ: "at+jwt" }, payload(keys), hmac), "invalid_token"]);
      }
      if (alg === "EdDSA") {
        // Same key, same signature scheme, but not the configured identifier: only the
        // allow-list stops it, which is the point (no "whatever the header says").
        cases.push([
          "alg Ed25519 instead of EdDSA",
          forge({ ...hdr, alg: "Ed25519" }, payload(keys), key),
          "invalid_token",
        ]);
      }
      // Attacker ships their own key in the header (CVE-2018-0114 style).
      const attacker = await generateKeyPair(alg, { extractable: true });
      const jwk = await exportJWK(attacker.publicKey);
      cases.push([
        "embedded attacker jwk",
        forge({ ...hdr, kid: undefined, jwk }, payload(keys), attacker.privateKey),
        "invalid_token",
      ]);
      cases.push([
        "embedded jwk with our kid",
        forge({ ...hdr, jwk }, payload(keys), attacker.privateKey),
        "invalid_token",
      ]);
      cases.push([
        "jku pointing elsewhere",
        forge({ ...hdr, jku: "https://evil.example/jwks.json" }, payload(keys), attacker.privateKey),
        "invalid_token",
      ]);
    } else {
      // Configured for HS256: an asymmetric token must not get in either.
      const attacker = await generateKeyPair("ES256");
      cases.push([
        "ES256 token against HS256 config",
        forge({ ...hdr, alg: "ES256" }, payload(keys), attacker.privateKey),
        "invalid_token",
      ]);
      cases.push([
        "HS512 with the right secret",
        forge({ ...hdr, alg: "HS512" }, payload(keys), new TextEncoder().encode(SECRET)),
        "invalid_token",
      ]);
    }

    // Every entry is built up front; forge() goes straight to WebCrypto and cannot reject.
    for (const [label, token, code] of cases) await rejects(keys, await token, code, label);
  });

  Deno.test(`jwt ${alg}: garbage is invalid_token, never another error`, async () => {
    const garbage: unknown[] = [
      "",
      " ",
      "a",
      "a.b",
      "a.b.c",
      "...",
      "..",
      "Bearer x.y.z",
      "eyJhbGciOiJIUzI1NiJ9..",
      `${base64url.encode("not json")}.${base64url.encode("{}")}.x`,
      `${enc([1, 2])}.${enc({})}.x`,
      `${enc({ alg })}.${base64url.encode("[]")}.x`,
      "x".repeat(10_000),
      `${enc({ alg, typ: "at+jwt" })}.${"A".repeat(20_000)}.x`,
      "\u0000.\u0000.\u0000",
      null,
      undefined,
      42,
      {},
    ];
    for (const token of garbage) await rejects(keys, token as string, "invalid_token", JSON.stringify(token));
  });

  Deno.test(`jwt ${alg}: tokens of one audience or issuer do not pass another's verifier`, async () => {
    const base = alg === "HS256"
      ? { secret: SECRET }
      : { ...(alg === "EdDSA" ? ed : es), alg: alg as "EdDSA" | "ES256" };
    const admin = await createJwtKeys({ ...base, audience: "optibid-admin" });
    const staging = await createJwtKeys({ ...base, issuer: "optibid-staging" });
    assert.equal(admin.kid, keys.kid, "same key material, same kid");
    await rejects(keys, await signAccessToken(admin, claims, { now: NOW }), "invalid_token", "wrong aud");
    await rejects(keys, await signAccessToken(staging, claims, { now: NOW }), "invalid_token", "wrong iss");
    await rejects(admin, await signAccessToken(keys, claims, { now: NOW }), "invalid_token", "reverse");
  });
}

Deno.test("jwt: tokens do not cross between key sets of different algorithms", async () => {
  const edToken = await signAccessToken(keySets.EdDSA, claims, { now: NOW });
  const esToken = await signAccessToken(keySets.ES256, claims, { now: NOW });
  const hsToken = await signAccessToken(keySets.HS256, claims, { now: NOW });
  await rejects(keySets.ES256, edToken, "invalid_token", "EdDSA token vs ES256 config");
  await rejects(keySets.EdDSA, esToken, "invalid_token", "ES256 token vs EdDSA config");
  await rejects(keySets.EdDSA, hsToken, "invalid_token", "HS256 token vs EdDSA config");
  await rejects(keySets.HS256, edToken, "invalid_token", "EdDSA token vs HS256 config");
});

Deno.test("jwt: a verify-only key set (public key) accepts tokens from the private key alone", async () => {
  for (const alg of ["EdDSA", "ES256"] as const) {
    const pair = alg === "EdDSA" ? ed : es;
    const signer = await createJwtKeys({ alg, privateKeyPem: pair.privateKeyPem });
    const verifier = await createJwtKeys({ alg, publicKeyPem: pair.publicKeyPem });
    assert.equal(signer.kid, verifier.kid, "kid is the JWK thumbprint of the public key");
    assert.equal(verifier.signingKey, undefined);
    const token = await signAccessToken(signer, claims, { now: NOW });
    assert.equal((await verifyAccessToken(verifier, token, { now: NOW })).sub, claims.sub);
    await assert.rejects(signAccessToken(verifier, claims, { now: NOW }), TypeError);
    assert.equal(verifier.publicJwk!.d, undefined, "no private component in the published JWK");
    assert.equal(verifier.publicJwk!.kid, verifier.kid);
    assert.equal(verifier.publicJwk!.alg, alg);
  }
  assert.equal(keySets.HS256.publicJwk, undefined);
});

Deno.test("jwt: key configuration mistakes fail at creation", async () => {
  await assert.rejects(createJwtKeys({ secret: "too-short-secret" }), RangeError);
  await assert.rejects(createJwtKeys({ secret: "x".repeat(31) }), RangeError);
  await createJwtKeys({ secret: "x".repeat(32) });
  await assert.rejects(createJwtKeys({}), TypeError);
  await assert.rejects(createJwtKeys({ secret: SECRET, publicKeyPem: ed.publicKeyPem }), TypeError);
  await assert.rejects(createJwtKeys({ secret: SECRET, alg: "EdDSA" }), TypeError);
  await assert.rejects(
    createJwtKeys({
      alg: "EdDSA",
      privateKeyPem: ed.privateKeyPem,
      publicKeyPem: (await pemPair("EdDSA")).publicKeyPem,
    }),
    TypeError,
  );
  await assert.rejects(createJwtKeys({ alg: "ES256", privateKeyPem: ed.privateKeyPem }));
  await assert.rejects(
    createJwtKeys({ alg: "EdDSA", publicKeyPem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" }),
  );
  await assert.rejects(createJwtKeys({ secret: SECRET, issuer: "" }), TypeError);
});

Deno.test("jwt: the signer refuses bad claims and bad ttl, and never copies extra fields", async () => {
  const keys = keySets.HS256;
  await assert.rejects(signAccessToken(keys, { ...claims, role: "root" as "admin" }, { now: NOW }));
  await assert.rejects(signAccessToken(keys, { ...claims, sub: "" }, { now: NOW }));
  for (const ttlSeconds of [0, -1, 1.5, 86_401, Number.NaN]) {
    await assert.rejects(signAccessToken(keys, claims, { now: NOW, ttlSeconds }), RangeError, String(ttlSeconds));
  }
  const token = await signAccessToken(
    keys,
    { ...claims, password_hash: "$argon2id$…", email: "a@b.c" } as typeof claims,
    {
      now: NOW,
    },
  );
  assert.deepEqual(Object.keys(parts(token).payload).sort(), [
    "aud",
    "exp",
    "iat",
    "iss",
    "jti",
    "nbf",
    "org",
    "role",
    "sid",
    "sub",
  ]);
  assert.equal(decodeProtectedHeader(token).typ, "at+jwt");
});

Deno.test("jwt: TokenError is an Error with a code and a generic message", () => {
  const e = new TokenError("expired_token");
  assert.ok(e instanceof Error);
  assert.equal(e.name, "TokenError");
  assert.equal(e.code, "expired_token");
  assert.equal(new TokenError("invalid_token", "custom").message, "custom");
});
