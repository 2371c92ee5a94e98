/**
 * CSRF: a state-changing request that a browser could send by itself (it
 * carries the session cookies, or is a form post) must come from the app's own
 * origin. Bearer requests are not subject to it: a browser never adds that header.
 */
import assert from "node:assert/strict";
import { ACCESS_COOKIE, REFRESH_COOKIE } from "../../server/auth_http.ts";
import { call, createOrg, expectError, expectStatus, newSession, opts, type TokenPair } from "../helpers/auth.ts";
import { GOOD_PASSWORD, TEST_ORIGIN, testApp } from "../helpers/test_app.ts";

const cookieOf = (s: TokenPair) => `${ACCESS_COOKIE}=${s.access_token}; ${REFRESH_COOKIE}=${s.refresh_token}`;

const FOREIGN: Record<string, Record<string, string>> = {
  "foreign Origin": { origin: "https://evil.example" },
  "Origin on another port": { origin: "http://localhost:8000" },
  "Origin with another scheme": { origin: "https://localhost" },
  "Origin that only starts like ours": { origin: "http://localhost.evil.example" },
  "Origin: null (sandboxed frame, data: URL)": { origin: "null" },
  "foreign Referer, no Origin": { referer: "https://evil.example/page" },
  "no Origin or Referer": {},
  "malformed Referer": { referer: "not a url" },
  "foreign Origin with our Referer": { origin: "https://evil.example", referer: `${TEST_ORIGIN}/settings` },
};

Deno.test(
  "CSRF: cookie-authenticated writes from anywhere but our origin → 403 csrf_rejected, and do nothing",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "csrf");
    const session = await newSession(t, org.admin);
    const cookie = cookieOf(session);
    const key = await call(t, "POST", "/api/api-keys", { token: session.access_token, body: { name: "victim" } });
    expectStatus(key, 201);

    for (const [name, headers] of Object.entries(FOREIGN)) {
      const h = { ...headers, cookie };
      expectError(
        await call(t, "PUT", "/api/auth/me", { headers: h, body: { name: "Pwned" } }),
        403,
        "csrf_rejected",
        `PUT me, ${name}`,
      );
      expectError(
        await call(t, "POST", "/api/api-keys", { headers: h, body: { name: "planted" } }),
        403,
        "csrf_rejected",
        `POST key, ${name}`,
      );
      expectError(
        await call(t, "DELETE", `/api/api-keys/${key.body.api_key.id}`, { headers: h }),
        403,
        "csrf_rejected",
        `DELETE key, ${name}`,
      );
      expectError(
        await call(t, "POST", "/api/auth/logout", { headers: h }),
        403,
        "csrf_rejected",
        `logout, ${name}`,
      );
    }
    // None of it happened.
    const me = await call(t, "GET", "/api/auth/me", { token: session.access_token });
    expectStatus(me, 200, "the session survived the forged logouts");
    assert.equal(me.body.user.name, org.admin.name);
    const keys = await call(t, "GET", "/api/api-keys", { token: session.access_token });
    assert.deepEqual(keys.body.items.map((k: { name: string }) => k.name), ["victim"]);
  },
);

Deno.test("CSRF: every documented write is checked when cookie-authenticated", opts, async () => {
  // Routes added later are covered too: each non-GET operation, cookie-authenticated, foreign or no Origin.
  const t = await testApp();
  const org = await createOrg(t, "csrfall");
  const session = await newSession(t, org.admin);
  const doc = await (await t.fetch("/api/openapi.json")).json();
  let tried = 0;
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { requestBody?: unknown }>>)) {
    if (!path.startsWith("/api/")) continue;
    for (const [m, op] of Object.entries(item)) {
      if (["get", "head", "options"].includes(m)) continue;
      const url = path.replace(/\{[^}]+\}/g, () => crypto.randomUUID());
      for (const headers of [{ origin: "https://evil.example" }, {}] as Record<string, string>[]) {
        const r = await call(t, m.toUpperCase(), url, {
          headers: { ...headers, cookie: cookieOf(session) },
          body: op.requestBody ? {} : undefined,
        });
        expectError(r, 403, "csrf_rejected", `${m.toUpperCase()} ${path} ${JSON.stringify(headers)}`);
        tried++;
      }
    }
  }
  assert.ok(tried >= 2 * 14, `tried ${tried}`);
  expectStatus(await call(t, "GET", "/api/auth/me", { token: session.access_token }), 200);
});

Deno.test(
  "CSRF: our own Origin (or Referer) passes; safe methods and Bearer requests are not checked",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "csrfok");
    const session = await newSession(t, org.admin);
    const cookie = cookieOf(session);

    const put = await call(t, "PUT", "/api/auth/me", {
      headers: { cookie, origin: TEST_ORIGIN },
      body: { name: "Ours" },
    });
    expectStatus(put, 200, "same Origin");
    assert.equal(put.body.user.name, "Ours");
    assert.equal(put.body.authenticated_by, "cookie");
    const key = await call(t, "POST", "/api/api-keys", {
      headers: { cookie, origin: TEST_ORIGIN },
      body: { name: "k" },
    });
    expectStatus(key, 201, "same Origin POST");
    const referer = await call(t, "PUT", "/api/auth/me", {
      headers: { cookie, referer: `${TEST_ORIGIN}/settings/profile?tab=1` },
      body: { name: "Via Referer" },
    });
    expectStatus(referer, 200, "same-origin Referer without Origin");
    expectStatus(
      await call(t, "DELETE", `/api/api-keys/${key.body.api_key.id}`, { headers: { cookie, origin: TEST_ORIGIN } }),
      204,
      "same Origin DELETE",
    );

    // Safe methods with cookies from anywhere: reading is not what CSRF abuses.
    expectStatus(
      await call(t, "GET", "/api/auth/me", { headers: { cookie, origin: "https://evil.example" } }),
      200,
      "GET with a foreign Origin",
    );
    // Bearer: a foreign page cannot set the header, so no Origin rule applies.
    for (const headers of [{ origin: "https://evil.example" }, {}] as Record<string, string>[]) {
      expectStatus(
        await call(t, "PUT", "/api/auth/me", { token: session.access_token, headers, body: { name: "Bearer" } }),
        200,
        `Bearer ${JSON.stringify(headers)}`,
      );
    }
    // Cookie logout from our origin works and ends the session.
    expectStatus(await call(t, "POST", "/api/auth/logout", { headers: { cookie, origin: TEST_ORIGIN } }), 204);
    expectStatus(await call(t, "GET", "/api/auth/me", { token: session.access_token }), 401);
  },
);

Deno.test("CSRF: a refresh cookie alone, or a form-style post without cookies, is checked too", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "csrfform");
  const session = await newSession(t, org.admin);
  // Only the refresh cookie (the access cookie expired): still a browser-sent credential.
  expectError(
    await call(t, "POST", "/api/auth/refresh", {
      headers: { cookie: `${REFRESH_COOKIE}=${session.refresh_token}`, origin: "https://evil.example" },
      body: { refresh_token: session.refresh_token },
    }),
    403,
    "csrf_rejected",
    "refresh with only the refresh cookie",
  );
  // Login CSRF: a cross-site form can post text/plain or urlencoded bodies without a preflight. The API
  // takes JSON only, so such a post is refused for its media type (415) before the origin is looked at.
  for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
    expectError(
      await call(t, "POST", "/api/auth/login", {
        headers: { "content-type": type, origin: "https://evil.example" },
        body: JSON.stringify({ email: org.admin.email, password: GOOD_PASSWORD }),
      }),
      415,
      "unsupported_media_type",
      `login as ${type}`,
    );
  }
  // The login page's form is a form post by design: there the origin decides.
  const page = await t.fetch("/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
    body: new URLSearchParams({ email: org.admin.email, password: GOOD_PASSWORD }).toString(),
  });
  assert.equal(page.status, 403, "login page form from another origin");
  await page.body?.cancel();
  // A JSON login from another origin without cookies needs a CORS preflight, which the app does not grant: allowed.
  expectStatus(
    await call(t, "POST", "/api/auth/login", {
      headers: { origin: "https://evil.example" },
      body: { email: org.admin.email, password: GOOD_PASSWORD },
    }),
    200,
  );
  // The refresh token still works: the refused request did not spend it.
  expectStatus(
    await call(t, "POST", "/api/auth/refresh", { body: { refresh_token: session.refresh_token } }),
    200,
  );
});
