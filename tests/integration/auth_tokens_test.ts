/**
 * Access-token attacks over HTTP. Each forged token differs from one that works
 * (minted the same way, checked first) in exactly the property under attack, so
 * a 401 here is the check working, not a mistake in the forgery.
 */
import assert from "node:assert/strict";
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { ACCESS_COOKIE } from "../../server/auth_http.ts";
import {
  call,
  claimsOf,
  createOrg,
  decodeBase64Url,
  encodeBase64Url,
  expectError,
  expectStatus,
  mintAccessToken,
  opts,
  orgWithAllRoles,
  TEST_AUDIENCE,
  TEST_ISSUER,
} from "../helpers/auth.ts";
import { GOOD_PASSWORD, type TestApp, testApp, uniqueEmail, uniqueIp } from "../helpers/test_app.ts";

interface Base {
  sub: string;
  org: string;
  role: string;
  sid: string;
}

function baseOf(accessToken: string): Base {
  const c = claimsOf(accessToken);
  return { sub: c.sub as string, org: c.org as string, role: c.role as string, sid: c.sid as string };
}

/** The token through both carriers the app reads: Authorization: Bearer and the access cookie. */
async function viaBoth(t: TestApp, token: string, path = "/api/auth/me") {
  const ip = uniqueIp();
  const bearer = await call(t, "GET", path, { token, ip });
  const cookie = await call(t, "GET", path, { headers: { cookie: `${ACCESS_COOKIE}=${token}` }, ip });
  return { bearer, cookie };
}

function reSign(token: string, mutate: (payload: Record<string, unknown>) => void): string {
  const [h, , s] = token.split(".");
  const payload = claimsOf(token);
  mutate(payload);
  return `${h}.${encodeBase64Url(JSON.stringify(payload))}.${s}`;
}

Deno.test("JWT: forged, tampered and misused tokens are refused with 401", opts, async () => {
  const t = await testApp();
  const { members } = await orgWithAllRoles(t, "jwt");
  const viewer = members.viewer;
  const base = baseOf(viewer.tokens.access_token);
  const now = Math.floor(Date.now() / 1000);

  // Controls: the real token, and one minted by hand the way the app mints them, both work.
  const control = await mintAccessToken(base);
  for (const token of [viewer.tokens.access_token, control]) {
    const { bearer, cookie } = await viaBoth(t, token);
    expectStatus(bearer, 200, "control via bearer");
    expectStatus(cookie, 200, "control via cookie");
    assert.equal(bearer.body.user.id, viewer.userId);
  }

  const attacker = await generateKeyPair("RS256", { extractable: true });
  const attackerEc = await generateKeyPair("ES256", { extractable: true });
  const attackerJwk = await exportJWK(attacker.publicKey);
  const admin = baseOf(members.admin.tokens.access_token);

  const attacks: { name: string; token: () => Promise<string> | string; code?: string }[] = [
    {
      name: "alg: none",
      token: () =>
        new UnsecuredJWT({ ...base, role: "admin" }).setSubject(base.sub).setIssuer(TEST_ISSUER)
          .setAudience(TEST_AUDIENCE).setIssuedAt(now).setNotBefore(now).setExpirationTime(now + 900)
          .setJti(crypto.randomUUID()).encode().replace(
            encodeBase64Url(JSON.stringify({ alg: "none" })),
            encodeBase64Url(JSON.stringify({ alg: "none", typ: "at+jwt" })),
          ),
    },
    {
      name: "alg: none, signature of a real token kept",
      token: () => {
        const [, p, s] = control.split(".");
        return `${encodeBase64Url(JSON.stringify({ alg: "none", typ: "at+jwt" }))}.${p}.${s}`;
      },
    },
    {
      name: "alg: NONE (case variant)",
      token: () => {
        const [, p] = control.split(".");
        return `${encodeBase64Url(JSON.stringify({ alg: "NONE", typ: "at+jwt" }))}.${p}.`;
      },
    },
    {
      name: "RS256 with the attacker's key embedded as jwk (HS/RS confusion, key injection)",
      token: () =>
        new SignJWT({ org: base.org, role: "admin", sid: base.sid }).setProtectedHeader({
          alg: "RS256",
          typ: "at+jwt",
          jwk: attackerJwk,
        }).setSubject(base.sub).setIssuer(TEST_ISSUER).setAudience(TEST_AUDIENCE).setIssuedAt(now).setNotBefore(now)
          .setExpirationTime(now + 900).setJti(crypto.randomUUID()).sign(attacker.privateKey),
    },
    {
      name: "ES256 signed with the attacker's key",
      token: () =>
        new SignJWT({ org: base.org, role: base.role, sid: base.sid }).setProtectedHeader({
          alg: "ES256",
          typ: "at+jwt",
        }).setSubject(base.sub).setIssuer(TEST_ISSUER).setAudience(TEST_AUDIENCE).setIssuedAt(now).setNotBefore(now)
          .setExpirationTime(now + 900).setJti(crypto.randomUUID()).sign(attackerEc.privateKey),
    },
    {
      name: "HS256 with the wrong secret",
      token: () => mintAccessToken(base, { secret: "another-secret-that-is-long-enough-0123456789" }),
    },
    {
      name: "HS512 with the right secret (algorithm not allowed)",
      token: () => mintAccessToken(base, { header: { alg: "HS512" } }),
    },
    {
      name: "unknown kid",
      token: () => mintAccessToken(base, { header: { kid: "hs-not-our-key" } }),
    },
    {
      name: "tampered payload: role → admin, signature kept",
      token: () => reSign(viewer.tokens.access_token, (p) => (p.role = "admin")),
    },
    {
      name: "tampered payload: sub → the admin, signature kept",
      token: () => reSign(viewer.tokens.access_token, (p) => (p.sub = admin.sub)),
    },
    {
      name: "tampered payload: exp extended, signature kept",
      token: () => reSign(viewer.tokens.access_token, (p) => (p.exp = (p.exp as number) + 86_400)),
    },
    {
      name: "expired",
      token: () => mintAccessToken(base, { iat: now - 3600, exp: now - 60 }),
      code: "expired_token",
    },
    { name: "wrong audience", token: () => mintAccessToken(base, { aud: "some-other-api" }) },
    { name: "wrong issuer", token: () => mintAccessToken(base, { iss: "https://evil.example" }) },
    { name: "nbf in the future", token: () => mintAccessToken(base, { nbf: now + 600 }) },
    { name: "iat in the future", token: () => mintAccessToken(base, { iat: now + 600, nbf: now, exp: now + 1200 }) },
    {
      name: "older than the maximum lifetime (iat two days ago, exp ahead)",
      token: () => mintAccessToken(base, { iat: now - 2 * 86_400, nbf: now - 2 * 86_400, exp: now + 600 }),
    },
    { name: "missing typ", token: () => mintAccessToken(base, { header: { typ: undefined } }) },
    { name: "typ JWT", token: () => mintAccessToken(base, { header: { typ: "JWT" } }) },
    { name: "typ application/at+jwt", token: () => mintAccessToken(base, { header: { typ: "application/at+jwt" } }) },
    { name: "unknown session (sid)", token: () => mintAccessToken({ ...base, sid: crypto.randomUUID() }) },
    { name: "a user of no organization", token: () => mintAccessToken({ ...base, org: crypto.randomUUID() }) },
    { name: "the refresh token", token: () => viewer.tokens.refresh_token },
    { name: "API key prefix with garbage", token: () => "obk_garbage" },
    {
      name: "API key prefix with a plausible random key",
      token: () => "obk_" + encodeBase64Url(crypto.getRandomValues(new Uint8Array(32))),
    },
    { name: "API key prefix, oversized", token: () => "obk_" + "A".repeat(5000) },
    { name: "not a JWT", token: () => "eyJhbGciOiJIUzI1NiJ9.garbage" },
    {
      name: "a JWT with a huge header",
      token: () => `${encodeBase64Url("{" + '"a":1,'.repeat(3000) + '"alg":"HS256"}')}.e30.x`,
    },
  ];

  const failures: string[] = [];
  for (const a of attacks) {
    const token = await a.token();
    const { bearer, cookie } = await viaBoth(t, token);
    for (const [via, r] of [["bearer", bearer], ["cookie", cookie]] as const) {
      if (r.status !== 401) failures.push(`${a.name} (${via}): ${r.status} ${r.text.slice(0, 200)}`);
      else if (a.code && r.body?.error?.code !== a.code) failures.push(`${a.name} (${via}): code ${r.text}`);
    }
    if (bearer.status === 401 && !/error="invalid_token"/.test(bearer.headers.get("www-authenticate") ?? "")) {
      failures.push(`${a.name}: WWW-Authenticate ${bearer.headers.get("www-authenticate")}`);
    }
    // The same forgery against an admin-only route: never past 401.
    const adminRoute = await call(t, "GET", "/api/admin/audit-logs", { token, ip: uniqueIp() });
    if (adminRoute.status !== 401) failures.push(`${a.name} on audit-logs: ${adminRoute.status}`);
  }
  assert.deepEqual(failures, [], failures.join("\n"));
});

Deno.test("JWT: the role comes from the membership, not from the token", opts, async () => {
  const t = await testApp();
  const { members } = await orgWithAllRoles(t, "jwtrole");
  const viewer = members.viewer;
  // Even a correctly signed token that says "admin" (a leaked-secret scenario, or a stale token) acts as viewer.
  const claimsAdmin = await mintAccessToken({ ...baseOf(viewer.tokens.access_token), role: "admin" });
  const me = await call(t, "GET", "/api/auth/me", { token: claimsAdmin });
  expectStatus(me, 200);
  assert.equal(me.body.role, "viewer");
  expectError(await call(t, "GET", "/api/admin/audit-logs", { token: claimsAdmin }), 403, "forbidden");
  expectError(await call(t, "GET", "/api/users", { token: claimsAdmin }), 403, "forbidden");

  // A demotion takes effect on the next request with an old token.
  const trader = members.trader;
  expectStatus(await call(t, "GET", "/api/users", { token: trader.tokens.access_token }), 200);
  const demote = await call(t, "PUT", `/api/users/${trader.userId}`, {
    token: members.admin.tokens.access_token,
    body: { role: "viewer" },
  });
  expectStatus(demote, 200);
  expectError(await call(t, "GET", "/api/users", { token: trader.tokens.access_token }), 403, "forbidden");
});

Deno.test("JWT: a malformed Authorization header is 401, never a fallback to the cookie", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "authz");
  const good = org.admin.tokens.access_token;
  for (
    const authorization of [`Basic ${btoa("a:b")}`, "Bearer", `Bearer ${good} extra`, `Token ${good}`, "Bearer  "]
  ) {
    const r = await call(t, "GET", "/api/auth/me", {
      headers: { authorization, cookie: `${ACCESS_COOKIE}=${good}` },
    });
    expectStatus(r, 401, authorization);
  }
  // Bearer is case-insensitive (RFC 7235): a working control.
  expectStatus(await call(t, "GET", "/api/auth/me", { headers: { authorization: `bearer ${good}` } }), 200);
});

Deno.test(
  "JWT: with an asymmetric key, an HS256 token signed with the public key is refused (HS/RS confusion)",
  opts,
  async () => {
    const pair = await generateKeyPair("EdDSA", { extractable: true });
    const publicPem = await exportSPKI(pair.publicKey);
    const t = await testApp({
      JWT_ALG: "EdDSA",
      JWT_PRIVATE_KEY: await exportPKCS8(pair.privateKey),
      JWT_PUBLIC_KEY: publicPem,
    });
    const email = uniqueEmail("eddsa");
    const reg = await call(t, "POST", "/api/auth/register", {
      body: { email, password: GOOD_PASSWORD, name: "Ed", organization_name: "EdDSA Co" },
    });
    expectStatus(reg, 201);
    const real = reg.body.access_token as string;
    const header = JSON.parse(new TextDecoder().decode(decodeBase64Url(real.split(".")[0])));
    assert.equal(header.alg, "EdDSA");
    expectStatus(await call(t, "GET", "/api/auth/me", { token: real }), 200, "control");

    const base = baseOf(real);
    const rawPublic = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    const forgeries = {
      "HS256 keyed with the public key PEM": await mintAccessToken(base, {
        secret: publicPem,
        header: { kid: header.kid },
      }),
      "HS256 keyed with the PEM, no kid": await mintAccessToken(base, { secret: publicPem }),
      "HS256 keyed with the raw public key": await mintAccessToken(base, {
        secret: rawPublic,
        header: { kid: header.kid },
      }),
      "EdDSA signed with another key, our kid": await new SignJWT({ org: base.org, role: "admin", sid: base.sid })
        .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: header.kid }).setSubject(base.sub)
        .setIssuer(TEST_ISSUER).setAudience(TEST_AUDIENCE).setIssuedAt().setNotBefore("0s").setExpirationTime("10m")
        .setJti(crypto.randomUUID()).sign((await generateKeyPair("EdDSA")).privateKey),
    };
    for (const [name, token] of Object.entries(forgeries)) {
      expectStatus(await call(t, "GET", "/api/auth/me", { token }), 401, name);
    }
  },
);
