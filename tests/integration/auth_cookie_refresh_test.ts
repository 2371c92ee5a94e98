/**
 * A page's session renews itself with the refresh cookie (islands call POST /api/auth/refresh with no
 * token when their access token has expired): a 204 that sets new cookies and shows no token to scripts,
 * only from the app's own origin. An API call that carries only the refresh cookie (the browser dropped
 * the expired access cookie) is told `expired_token`, so the page knows a refresh is worth trying.
 * ACCESS_TOKEN_TTL_S sets the access-token lifetime.
 */
import assert from "node:assert/strict";
import { call, claimsOf, createOrg, expectError, expectStatus, newSession, opts, pastGrace } from "../helpers/auth.ts";
import { testApp, uniqueIp } from "../helpers/test_app.ts";

function cookieValue(setCookies: string[], name: string): string | null {
  for (const c of setCookies) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(c);
    if (m) return m[1];
  }
  return null;
}

function refreshByCookie(t: Awaited<ReturnType<typeof testApp>>, cookie: string, origin: string | null) {
  const headers: Record<string, string> = { cookie, "content-type": "application/json" };
  if (origin) headers.origin = origin;
  return t.fetch("/api/auth/refresh", { method: "POST", headers, body: "{}", ip: uniqueIp() });
}

Deno.test("cookie refresh: 204 with new cookies, same origin only, a spent cookie is refused", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "cookie-refresh");
  const tokens = await newSession(t, org.admin);

  const crossSite = await refreshByCookie(t, `ob_rt=${tokens.refresh_token}`, "https://evil.example");
  assert.equal(crossSite.status, 403);
  assert.equal((await crossSite.json()).error.code, "csrf_rejected");

  const res = await refreshByCookie(t, `ob_rt=${tokens.refresh_token}`, t.origin);
  assert.equal(res.status, 204, await res.clone().text());
  assert.equal(await res.text(), "", "no token in the body");
  const set = res.headers.getSetCookie();
  const access = cookieValue(set, "ob_at");
  const refresh = cookieValue(set, "ob_rt");
  assert.ok(access && refresh && refresh !== tokens.refresh_token, "both cookies renewed");
  assert.ok(set.every((c) => /HttpOnly/i.test(c)));
  assert.equal(claimsOf(access).sub, org.admin.userId);

  const me = await t.fetch("/api/auth/me", { headers: { cookie: `ob_at=${access}` }, ip: uniqueIp() });
  assert.equal(me.status, 200);
  await me.body?.cancel();

  // The cookie just spent, past the grace window for a concurrent tab: reuse is refused (and ends the
  // session, as with a body token).
  await pastGrace(t, tokens.refresh_token);
  const spent = await refreshByCookie(t, `ob_rt=${tokens.refresh_token}`, t.origin);
  assert.equal(spent.status, 401);
  await spent.body?.cancel();

  const none = await refreshByCookie(t, "other=1", t.origin);
  assert.equal(none.status, 401);
  assert.equal((await none.json()).error.code, "unauthenticated");
});

Deno.test("an API call with only the refresh cookie is expired_token, not unauthenticated", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "cookie-expired");
  const tokens = await newSession(t, org.admin);
  const r = await call(t, "GET", "/api/bids", { headers: { cookie: `ob_rt=${tokens.refresh_token}` } });
  expectError(r, 401, "expired_token");
  const anon = await call(t, "GET", "/api/bids");
  expectError(anon, 401, "unauthenticated");
});

Deno.test("ACCESS_TOKEN_TTL_S sets the access-token lifetime", opts, async () => {
  const t = await testApp({ ACCESS_TOKEN_TTL_S: "42" });
  const org = await createOrg(t, "ttl");
  assert.equal(org.admin.tokens.expires_in, 42);
  const claims = claimsOf(org.admin.tokens.access_token) as { iat: number; exp: number };
  assert.equal(claims.exp - claims.iat, 42);
  const r = await call(t, "GET", "/api/auth/me", { token: org.admin.tokens.access_token });
  expectStatus(r, 200);
});

Deno.test(
  "a page visit renews the session from the refresh cookie, alone or beside a void access cookie",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "cookie-page-renew");
    const visit = (cookie: string) =>
      t.fetch("/assets", { headers: { cookie, "sec-fetch-mode": "navigate" }, ip: uniqueIp(), redirect: "manual" });
    for (const cookie of ["", "ob_at=not-a-token; "]) {
      const tokens = await newSession(t, org.admin);
      const res = await visit(`${cookie}theme=dark; ob_rt=${tokens.refresh_token}`);
      assert.equal(res.status, 200, `a signed-in page (${cookie || "refresh cookie alone"})`);
      await res.body?.cancel();
      const set = res.headers.getSetCookie();
      const access = cookieValue(set, "ob_at");
      assert.ok(access && access !== "not-a-token", "a new access cookie");
      assert.ok(cookieValue(set, "ob_rt") !== tokens.refresh_token, "the refresh cookie rotated");
    }
    // A name that merely contains the cookie's is not it.
    const tokens = await newSession(t, org.admin);
    const lookalike = await visit(`xob_rt=${tokens.refresh_token}`);
    assert.equal(lookalike.status, 303, "signed out: sent to the login page");
    await lookalike.body?.cancel();
  },
);

Deno.test("a valid access cookie leaves the refresh cookie alone; an API call never renews", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "cookie-no-renew");
  const tokens = await newSession(t, org.admin);
  const both = `ob_at=${tokens.access_token}; ob_rt=${tokens.refresh_token}`;
  const page = await t.fetch("/assets", { headers: { cookie: both, "sec-fetch-mode": "navigate" }, ip: uniqueIp() });
  assert.equal(page.status, 200);
  await page.body?.cancel();
  assert.deepEqual(page.headers.getSetCookie(), [], "no new cookies while the access cookie does");
  // An API call with a void access cookie is told so, and the refresh cookie is not spent on it.
  const api = await call(t, "GET", "/api/bids", { headers: { cookie: `ob_at=void; ob_rt=${tokens.refresh_token}` } });
  expectError(api, 401, "invalid_token");
  const renewed = await refreshByCookie(t, `ob_rt=${tokens.refresh_token}`, t.origin);
  assert.equal(renewed.status, 204, "the refresh cookie is still good");
});
