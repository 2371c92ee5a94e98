/**
 * The auth pages as forms without JavaScript: each validation error beside its
 * field, cookies set on success, `next` only to this site, pages that need a
 * login redirect to it, and the member admin page for admins only.
 */
import assert from "node:assert/strict";
import { totpCode } from "../../services/auth/totp.ts";
import { GOOD_PASSWORD, json, testApp, uniqueEmail, uniqueIp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
const ORIGIN = "http://localhost";

function form(values: Record<string, string>, cookie?: string): RequestInit {
  return {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: ORIGIN,
      ...(cookie ? { cookie } : {}),
    },
    body: new URLSearchParams(values).toString(),
    redirect: "manual",
  };
}

/** `data-field-error="name"` → its message. */
function fieldErrors(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/data-field-error="([^"]+)"[^>]*>([^<]*)</g)) out[m[1]] = m[2];
  return out;
}

function cookieHeader(res: Response): string {
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

async function signUp(tag: string) {
  const t = await testApp();
  const email = uniqueEmail(tag);
  const ip = uniqueIp();
  const res = await t.fetch("/register", {
    ...form({ name: "Pat Page", email, password: GOOD_PASSWORD, organization_name: `${tag} Org` }),
    ip,
  });
  assert.equal(res.status, 303, await res.text());
  return { t, email, ip, cookie: cookieHeader(res) };
}

Deno.test("register form: errors beside each field, then a session cookie and a redirect", opts, async () => {
  const t = await testApp();
  const ip = uniqueIp();
  const bad = await t.fetch("/register", { ...form({ name: "", email: "nope", password: "short" }), ip });
  assert.equal(bad.status, 400);
  const errors = fieldErrors(await bad.text());
  assert.ok(errors.name, "name error shown");
  assert.ok(errors.email, "email error shown");
  assert.ok(errors.organization_name, "organization error shown");

  const weak = await t.fetch("/register", {
    ...form({ name: "Pat", email: uniqueEmail(), password: "password123456", organization_name: "Weak Org" }),
    ip,
  });
  assert.equal(weak.status, 400);
  assert.match(fieldErrors(await weak.text()).password ?? "", /too easy to guess/);

  const { cookie } = await signUp("regform");
  assert.match(cookie, /ob_at=/);
  assert.match(cookie, /ob_rt=/);
});

Deno.test("session cookies are HttpOnly, SameSite=Lax, and Secure except on plain-http localhost", opts, async () => {
  const t = await testApp();
  const email = uniqueEmail("cookie");
  await t.fetch("/api/auth/register", {
    ...json({ email, password: GOOD_PASSWORD, name: "C", organization_name: "Cookie Org" }),
    ip: uniqueIp(),
  });
  const local = await t.fetch("/login", { ...form({ email, password: GOOD_PASSWORD, next: "/" }), ip: uniqueIp() });
  for (const c of local.headers.getSetCookie()) {
    assert.match(c, /HttpOnly/);
    assert.match(c, /SameSite=Lax/);
    assert.doesNotMatch(c, /Secure/);
  }
  const req = new Request("https://bids.example.com/login", {
    ...form({ email, password: GOOD_PASSWORD, next: "/" }),
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://bids.example.com" },
  });
  const remote = await t.app.fetch(req, { remoteAddr: { transport: "tcp", hostname: uniqueIp(), port: 1 } });
  assert.equal(remote.status, 303);
  for (const c of remote.headers.getSetCookie()) assert.match(c, /Secure/);
});

/** `<input ... name="x" ... value="v">` → v (attributes in any order). */
function inputValue(html: string, name: string): string | undefined {
  for (const m of html.matchAll(/<input\b[^>]*>/g)) {
    if (!new RegExp(`\\bname="${name}"`).test(m[0])) continue;
    return /\bvalue="([^"]*)"/.exec(m[0])?.[1] ?? "";
  }
  return undefined;
}

Deno.test(
  "login form with two-factor authentication: the code step signs in without the password being sent again",
  opts,
  async () => {
    const { t, email, ip } = await signUp("loginmfa");
    // Turn two-factor authentication on through the API with this user's session.
    const session = await (await t.fetch("/api/auth/login", { ...json({ email, password: GOOD_PASSWORD }), ip }))
      .json();
    const bearer = { authorization: `Bearer ${session.access_token}`, "content-type": "application/json" };
    const setup = await (await t.fetch("/api/auth/mfa/setup", { method: "POST", headers: bearer, ip })).json();
    const verifiedAt = Date.now();
    const verify = await t.fetch("/api/auth/mfa/verify", {
      method: "POST",
      headers: bearer,
      body: JSON.stringify({ code: totpCode(setup.secret, verifiedAt) }),
      ip,
    });
    assert.equal(verify.status, 200, await verify.clone().text());
    await verify.body?.cancel();

    // Step 1: the password. The answer is the code step, without the password in it.
    const step1 = await t.fetch("/login", { ...form({ email, password: GOOD_PASSWORD, next: "/settings" }), ip });
    assert.equal(step1.status, 200);
    const html1 = await step1.text();
    assert.equal(inputValue(html1, "password"), undefined, "no password field on the code step");
    assert.doesNotMatch(html1, new RegExp(GOOD_PASSWORD.replace(/[-!]/g, "\\$&")), "the password is not echoed");
    assert.ok(inputValue(html1, "totp_code") !== undefined, "asks for the code");
    const challenge = inputValue(html1, "mfa_challenge");
    assert.ok(challenge, "carries the challenge");
    assert.equal(step1.headers.getSetCookie().length, 0, "no session yet");

    // A wrong code: still on the code step, the challenge kept, the error beside the code.
    const wrong = await t.fetch("/login", {
      ...form({ email, mfa_challenge: challenge!, totp_code: "000000", next: "/settings" }),
      ip,
    });
    assert.equal(wrong.status, 401);
    const htmlWrong = await wrong.text();
    assert.ok(fieldErrors(htmlWrong).totp_code, "the error is beside the code");
    assert.equal(inputValue(htmlWrong, "mfa_challenge"), challenge);

    // Step 2: the code alone, with the challenge, signs in.
    const step2 = await t.fetch("/login", {
      ...form({
        email,
        mfa_challenge: challenge!,
        totp_code: totpCode(setup.secret, verifiedAt + 30_000),
        next: "/settings",
      }),
      ip,
    });
    assert.equal(step2.status, 303, await step2.text());
    assert.equal(step2.headers.get("location"), "/settings");
    assert.match(cookieHeader(step2), /ob_at=/);

    // A forged challenge is sent back to the password step.
    const forged = await t.fetch("/login", {
      ...form({ email, mfa_challenge: "forged", totp_code: "123456" }),
      ip: uniqueIp(),
    });
    assert.equal(forged.status, 401);
    const htmlForged = await forged.text();
    assert.ok(inputValue(htmlForged, "password") !== undefined, "back to the password");
    assert.match(htmlForged, /enter your password again/);
  },
);

Deno.test("login form: wrong password is an error on the page; next goes only to this site", opts, async () => {
  const { t, email } = await signUp("loginform");
  const wrong = await t.fetch("/login", {
    ...form({ email, password: "definitely-not-it-000", next: "/settings" }),
    ip: uniqueIp(),
  });
  assert.equal(wrong.status, 401);
  const html = await wrong.text();
  assert.match(html, /Email or password is wrong/);
  assert.match(html, new RegExp(`value="${email.replace(/[.+]/g, "\\$&")}"`), "the email stays in the form");

  for (
    const [next, expected] of [
      ["/settings", "/settings"],
      ["https://evil.example/", "/"],
      ["//evil.example/x", "/"],
      ["/\\evil.example", "/"],
    ]
  ) {
    const ok = await t.fetch("/login", { ...form({ email, password: GOOD_PASSWORD, next }), ip: uniqueIp() });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), expected, `next=${next}`);
  }
});

Deno.test("pages that need a login redirect to /login?next=…", opts, async () => {
  const t = await testApp();
  for (const path of ["/profile", "/settings", "/admin/users", "/settings?tab=1"]) {
    const res = await t.fetch(path, { redirect: "manual" });
    assert.equal(res.status, 303, path);
    assert.equal(res.headers.get("location"), `/login?next=${encodeURIComponent(path)}`);
  }
});

Deno.test("a cross-site form post is refused even before login (login CSRF)", opts, async () => {
  const t = await testApp();
  const res = await t.fetch("/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
    body: "email=a%40b.co&password=x",
  });
  assert.equal(res.status, 403);
});

Deno.test("settings form saves preferences and rejects unknown values beside the field", opts, async () => {
  const { t, cookie } = await signUp("settings");
  const good = {
    time_zone: "America/Chicago",
    default_zone: "ERCOT",
    energy: "MWh",
    price: "$/MWh",
  };
  // Redirect after post: a reload shows the page rather than sending the form again.
  const saved = await t.fetch("/settings", { ...form(good, cookie), redirect: "manual" });
  assert.equal(saved.status, 303);
  assert.equal(saved.headers.get("location"), "/settings?saved=1");
  assert.match(await (await t.fetch("/settings?saved=1", { headers: { cookie } })).text(), /Settings saved/);
  const me = await t.fetch("/api/auth/me", { headers: { cookie } });
  const prefs = (await me.json()).user.preferences;
  assert.equal(prefs.time_zone, "America/Chicago");
  assert.equal(prefs.default_zone, "ERCOT");
  // Notification channels are their own form on the page, per event type.
  const channels = await t.fetch("/settings", {
    ...form({ _action: "channels", "ch.alert.fired.email": "on", "ch.bid.cleared.in_app": "on" }, cookie),
    redirect: "manual",
  });
  assert.equal(channels.status, 303);
  const chosen = await (await t.fetch("/api/notifications/preferences", { headers: { cookie } })).json();
  assert.deepEqual(chosen["alert.fired"], ["email"]);
  assert.deepEqual(chosen["bid.cleared"], ["in_app"]);
  assert.deepEqual(chosen["bid.settled"], []);
  // /market opens the saved default zone.
  const market = await t.fetch("/market", { headers: { cookie }, redirect: "manual" });
  assert.equal(market.status, 303);
  assert.equal(market.headers.get("location"), "/market/ERCOT");

  const bad = await t.fetch("/settings", form({ ...good, time_zone: "Mars/Olympus", default_zone: "XYZ" }, cookie));
  assert.equal(bad.status, 400);
  const errors = fieldErrors(await bad.text());
  assert.match(errors.time_zone ?? "", /IANA time zone/);
  assert.ok(errors.default_zone);
});

Deno.test("profile: API key shown once, wrong current password shown beside its field", opts, async () => {
  const { t, cookie } = await signUp("profile");
  const created = await t.fetch(
    "/profile",
    form({ _action: "api_key_create", name: "ci bot", role: "viewer" }, cookie),
  );
  assert.equal(created.status, 303);
  const html = await (await t.fetch("/profile", { headers: { cookie: `${cookie}; ${cookieHeader(created)}` } })).text();
  const key = /(obk_[A-Za-z0-9_-]+)/.exec(html)?.[1];
  assert.ok(key, "the new key is on the page");
  const again = await (await t.fetch("/profile", { headers: { cookie } })).text();
  assert.ok(!again.includes(key), "and only once");
  const viaKey = await t.fetch("/api/auth/me", { headers: { authorization: `Bearer ${key}` } });
  assert.equal((await viaKey.json()).role, "viewer");

  const pw = await t.fetch(
    "/profile",
    form({
      _action: "password",
      current_password: "wrong-wrong-wrong-1",
      new_password: "another-Strong-pass-98",
      confirm_password: "another-Strong-pass-98",
    }, cookie),
  );
  assert.equal(pw.status, 400);
  assert.equal(fieldErrors(await pw.text()).current_password, "is wrong");
});

Deno.test("member admin page: admins manage members; others get 403", opts, async () => {
  const { t, cookie } = await signUp("admin-page");
  const page = await t.fetch("/admin/users", { headers: { cookie } });
  assert.equal(page.status, 200);
  const invited = uniqueEmail("invitee");
  const inv = await t.fetch("/admin/users", form({ _action: "invite", email: invited, role: "viewer" }, cookie));
  assert.equal(inv.status, 303);
  const html = await (await t.fetch("/admin/users", { headers: { cookie: `${cookie}; ${cookieHeader(inv)}` } })).text();
  const token = /register\?invitation=([A-Za-z0-9_%-]+)/.exec(html)?.[1];
  assert.ok(token, "the invitation link is shown");

  const joined = await t.fetch("/register", {
    ...form({
      name: "Vic Viewer",
      email: invited,
      password: GOOD_PASSWORD,
      invitation_token: decodeURIComponent(token),
    }),
    ip: uniqueIp(),
  });
  assert.equal(joined.status, 303);
  const viewerCookie = cookieHeader(joined);
  assert.equal((await t.fetch("/admin/users", { headers: { cookie: viewerCookie } })).status, 403);

  // The last admin cannot demote themselves: the error is on the page.
  const me = await (await t.fetch("/api/auth/me", { headers: { cookie } })).json();
  const demote = await t.fetch(
    "/admin/users",
    form({ _action: "update", user_id: me.user.id, role: "viewer", status: "active" }, cookie),
  );
  assert.equal(demote.status, 409);
  assert.match(await demote.text(), /at least one active admin/);
});

Deno.test(
  "page forms redirect after a successful post: a reload reads the page, it does not post again",
  opts,
  async () => {
    const { t, cookie } = await signUp("prg");
    const renamed = await t.fetch("/profile", form({ _action: "name", name: "Renamed Once" }, cookie));
    assert.equal(renamed.status, 303);
    assert.equal(renamed.headers.get("location"), "/profile?done=name");
    const after = await (await t.fetch("/profile?done=name", { headers: { cookie } })).text();
    assert.match(after, /Name saved\./);
    assert.match(after, /Renamed Once/);
    // Only the page's own notices: an unknown key shows nothing.
    assert.doesNotMatch(await (await t.fetch("/profile?done=hacked", { headers: { cookie } })).text(), /saved\./);

    // Starting two-factor setup redirects too; the page it names shows the pending setup's QR code.
    const mfa = await t.fetch("/profile", form({ _action: "mfa_setup" }, cookie));
    assert.equal(mfa.status, 303);
    assert.equal(mfa.headers.get("location"), "/profile?done=mfa_setup");
    assert.match(
      await (await t.fetch("/profile?done=mfa_setup", { headers: { cookie } })).text(),
      /data:image\/svg\+xml/,
    );

    const invited = uniqueEmail("prg-invitee");
    assert.equal(
      (await t.fetch("/admin/users", form({ _action: "invite", email: invited, role: "viewer" }, cookie))).status,
      303,
    );
    const inv = await (await t.fetch("/api/organizations/current/invitations", { headers: { cookie } })).json();
    const id = inv.items.find((i: { email: string }) => i.email === invited)?.id;
    assert.ok(id, "the invitation is listed");
    const revoked = await t.fetch("/admin/users", form({ _action: "revoke_invitation", id }, cookie));
    assert.equal(revoked.status, 303);
    assert.equal(revoked.headers.get("location"), "/admin/users?done=revoke_invitation");
    assert.match(
      await (await t.fetch(revoked.headers.get("location")!, { headers: { cookie } })).text(),
      /Invitation revoked\./,
    );

    // Dates on the member page read on the viewer's /settings clock, named: not UTC.
    const saved = await t.fetch(
      "/settings",
      form(
        { time_zone: "America/Los_Angeles", default_zone: "PJM", price: "$/MWh", energy: "MWh", channel: "in_app" },
        cookie,
      ),
    );
    assert.equal(saved.status, 303, await saved.text());
    await t.fetch("/admin/users", form({ _action: "invite", email: uniqueEmail("prg-tz"), role: "viewer" }, cookie));
    const members = await (await t.fetch("/admin/users", { headers: { cookie } })).text();
    assert.match(members, /expires \d{4}-\d{2}-\d{2} \d{2}:\d{2} P[SD]T/);
    assert.doesNotMatch(members, /\d\d:\d\d UTC/);
  },
);

Deno.test(
  "one-time secrets redirect after post: the next GET shows the secret once, to its own user only",
  opts,
  async () => {
    const { t, cookie, ip } = await signUp("prg-secret");
    const other = await signUp("prg-other");
    const withOnce = (session: string, res: Response) => `${session}; ${cookieHeader(res)}`;
    const get = async (path: string, c: string) => {
      const r = await t.fetch(path, { headers: { cookie: c }, redirect: "manual" });
      assert.equal(r.status, 200, path);
      return { html: await r.text(), setCookie: r.headers.getSetCookie().join("\n") };
    };
    /** POSTs a form, checks the 303 and its cookie, then: another user's session sees nothing, the owner sees
     * the secret once, a reload does not. Returns the secret. */
    const roundTrip = async (path: string, values: Record<string, string>, pattern: RegExp) => {
      const res = await t.fetch(path, form(values, cookie));
      assert.equal(res.status, 303, `${values._action}: ${await res.text()}`);
      assert.equal(res.headers.get("location"), path, "back to the page, no id in the URL");
      const set = res.headers.getSetCookie().find((c) => c.startsWith("ob_once="));
      assert.ok(set, "the secret's id rides in a cookie");
      assert.match(set, /HttpOnly/i);
      assert.match(set, /SameSite=Strict/i);
      assert.match(set, new RegExp(`Path=${path.replace("/", "\\/")}(;|$)`));
      // Another user (another organization) holding the id reads nothing, and does not spend it.
      const stolen = await get(path, withOnce(other.cookie, res));
      assert.doesNotMatch(stolen.html, pattern, "another user's session cannot read it");
      const first = await get(path, withOnce(cookie, res));
      const secret = pattern.exec(first.html)?.[1];
      assert.ok(secret, `${values._action}: the secret is on the page after the redirect`);
      assert.match(first.setCookie, /ob_once=;.*Max-Age=0/, "the cookie is cleared");
      const reload = await get(path, withOnce(cookie, res));
      assert.ok(!reload.html.includes(secret), `${values._action}: shown only once`);
      return secret;
    };

    const key = await roundTrip(
      "/profile",
      { _action: "api_key_create", name: "prg bot", role: "viewer" },
      /(obk_[A-Za-z0-9_-]+)/,
    );
    const viaKey = await t.fetch("/api/auth/me", { headers: { authorization: `Bearer ${key}` } });
    assert.equal((await viaKey.json()).role, "viewer", "the key shown is the key created");

    const token = await roundTrip(
      "/admin/users",
      { _action: "invite", email: uniqueEmail("prg-secret-inv"), role: "viewer" },
      /register\?invitation=([A-Za-z0-9_%-]+)/,
    );
    assert.ok(token.length > 10);

    const setup = await t.fetch("/api/auth/mfa/setup", {
      method: "POST",
      headers: { cookie, origin: ORIGIN },
      ip,
    });
    assert.equal(setup.status, 200, "mfa setup");
    const { secret } = await setup.json();
    const codes = await roundTrip(
      "/profile",
      { _action: "mfa_verify", code: totpCode(secret) },
      /data-testid="backup-codes"[\s\S]*?<code[^>]*>([^<]+)<\/code>/,
    );
    assert.ok(codes);
    const me = await (await t.fetch("/api/auth/me", { headers: { cookie } })).json();
    assert.equal(me.user.mfa_enabled, true);
  },
);

Deno.test(
  "the browser's time zone from the login and register forms becomes the user's, only when they have none",
  opts,
  async () => {
    const t = await testApp();
    const loginPage = await (await t.fetch("/login")).text();
    assert.match(loginPage, /<input type="hidden" name="time_zone" value="" data-browser-zone(="")?\/?>/);
    assert.match(loginPage, /<script src="\/browser-time-zone.js"/, "filled by the browser");
    assert.match(await (await t.fetch("/browser-time-zone.js")).text(), /resolvedOptions\(\)\.timeZone/);
    assert.match(await (await t.fetch("/register")).text(), /name="time_zone"/);
    const zoneOf = async (cookie: string) =>
      (await (await t.fetch("/api/auth/me", { headers: { cookie } })).json()).user.preferences?.time_zone;
    const login = async (email: string, time_zone: string) => {
      const res = await t.fetch("/login", { ...form({ email, password: GOOD_PASSWORD, time_zone }), ip: uniqueIp() });
      assert.equal(res.status, 303, `login with time_zone=${time_zone}: ${await res.text()}`);
      return cookieHeader(res);
    };

    // Register with the browser's zone: it is saved; a later login from another zone does not replace it.
    const email = uniqueEmail("tz-register");
    const reg = await t.fetch("/register", {
      ...form({ name: "Tz Reg", email, password: GOOD_PASSWORD, organization_name: "Tz Org", time_zone: "Asia/Tokyo" }),
      ip: uniqueIp(),
    });
    assert.equal(reg.status, 303);
    assert.equal(await zoneOf(cookieHeader(reg)), "Asia/Tokyo");
    assert.equal(await zoneOf(await login(email, "Europe/Paris")), "Asia/Tokyo", "a saved zone is kept");

    // A user without a zone: an invalid one is ignored (the login still succeeds), a valid one is taken once.
    const { email: plain, cookie } = await signUp("tz-login");
    assert.equal(await zoneOf(cookie), undefined, "no zone until one is known");
    assert.equal(await zoneOf(await login(plain, "Mars/Olympus")), undefined, "an invalid zone is ignored");
    assert.equal(await zoneOf(await login(plain, "x".repeat(500))), undefined, "an overlong one too");
    assert.equal(await zoneOf(await login(plain, "America/Denver")), "America/Denver");
    assert.equal(await zoneOf(await login(plain, "Europe/Paris")), "America/Denver", "taken once, not each login");

    // A zone chosen in /settings is never overwritten by a login either.
    const saved = await t.fetch(
      "/settings",
      form(
        { time_zone: "Australia/Sydney", default_zone: "PJM", price: "$/MWh", energy: "MWh", channel: "in_app" },
        cookie,
      ),
    );
    assert.equal(saved.status, 303);
    assert.equal(await zoneOf(await login(plain, "America/Denver")), "Australia/Sydney");
  },
);

Deno.test("sign out over POST clears the cookies and ends the session", opts, async () => {
  const { t, cookie } = await signUp("logout");
  const out = await t.fetch("/logout", form({}, cookie));
  assert.equal(out.status, 303);
  assert.equal(out.headers.get("location"), "/login");
  assert.ok(out.headers.getSetCookie().every((c) => /Max-Age=0/.test(c)));
  const after = await t.fetch("/api/auth/me", { headers: { cookie } });
  assert.equal(after.status, 401);
});
