/**
 * Sign-in throttling (README "Security"): a lock per account and address, a
 * growing delay per account for unfamiliar addresses, neither of which keeps
 * the owner out; the auth endpoints' rate limits, and which client address
 * they count: X-Forwarded-For only from a trusted proxy.
 */
import assert from "node:assert/strict";
import { LOCKOUT_MS, LOCKOUT_THRESHOLD, THROTTLE_AFTER, THROTTLE_BASE_MS } from "../../services/auth/login_guard.ts";
import { AUTH_LIMITS } from "../../services/auth/rate_limit.ts";
import {
  auditLog,
  call,
  type CallResult,
  createOrg,
  expectError,
  expectStatus,
  login,
  opts,
  refresh,
  withinOneWindow,
} from "../helpers/auth.ts";
import { GOOD_PASSWORD, type TestApp, testApp, uniqueEmail, uniqueIp } from "../helpers/test_app.ts";

const WRONG = "definitely-Wrong-password-1";

function expectRetryAfter(r: CallResult, maxS: number): number {
  const v = r.headers.get("retry-after");
  assert.ok(v && /^\d+$/.test(v), `Retry-After is whole seconds: ${v}`);
  const s = Number(v);
  assert.ok(s >= 1 && s <= maxS, `Retry-After ${s} within 1..${maxS}`);
  return s;
}

/** Moves this account's recorded attempts back in time, as if `ms` had passed (instead of waiting). */
async function age(t: TestApp, email: string, ms: number) {
  await t.services.db().query(
    `UPDATE login_attempts SET created_at = created_at - make_interval(secs => $2::float8 / 1000)
      WHERE lower(email) = lower($1)`,
    [email, ms],
  );
}

Deno.test(
  "lockout: 5 wrong passwords from one address lock that address out of the account (429, even with the right " +
    "password), not the owner elsewhere; it runs out",
  opts,
  async () => {
    assert.equal(LOCKOUT_THRESHOLD, 5);
    const t = await testApp();
    const org = await createOrg(t, "lockout");
    const user = org.admin;
    const ip = uniqueIp();

    for (let i = 1; i < LOCKOUT_THRESHOLD; i++) {
      expectError(await login(t, user, { password: WRONG, ip }), 401, "invalid_credentials", `attempt ${i}`);
    }
    const locked = await login(t, user, { password: WRONG, ip });
    expectError(locked, 429, "login_locked", `attempt ${LOCKOUT_THRESHOLD}`);
    const retry = expectRetryAfter(locked, LOCKOUT_MS / 1000);
    assert.ok(retry > LOCKOUT_MS / 1000 - 60, `locked for about 15 minutes, not ${retry} s`);

    const right = await login(t, user, { ip });
    expectError(right, 429, "login_locked", "the right password from the locked address");
    expectRetryAfter(right, LOCKOUT_MS / 1000);
    // The lock is on this address for this account: the owner elsewhere signs in.
    expectStatus(await login(t, user, { ip: uniqueIp() }), 200, "the right password from another address");

    const log = await auditLog(t, { ...user, tokens: user.tokens }, `action=auth.lockout&actor=${user.userId}`);
    expectStatus(log, 200);
    assert.equal(log.body.items.length, 1, "the lockout is audited once");

    // The lock runs out (the attempts moved into the past rather than waiting 15 minutes).
    await age(t, user.email, LOCKOUT_MS + 1000);
    expectStatus(await login(t, user, { ip }), 200, "after the lock expired");
    // The count started over: one more wrong password is a plain 401, not a new lock.
    expectError(await login(t, user, { password: WRONG, ip }), 401, "invalid_credentials");
  },
);

Deno.test(
  "lockout: an attacker failing many times from other addresses does not stop the owner signing in from theirs",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "dos");
    const owner = org.admin;
    const ownerIp = uniqueIp();
    expectStatus(await login(t, owner, { ip: ownerIp }), 200, "the owner's usual address");

    // Well past every threshold: 5 addresses × 5 wrong passwords, then more. Once the account has had
    // ten failures the attacker's addresses are throttled (or locked): refused either way.
    const attackers = Array.from({ length: 5 }, () => uniqueIp());
    for (const ip of attackers) {
      for (let i = 0; i < LOCKOUT_THRESHOLD; i++) await login(t, owner, { password: WRONG, ip });
    }
    const refused = (r: CallResult, what: string) => {
      expectStatus(r, 429, what);
      assert.ok(["login_locked", "login_throttled"].includes(r.body.error.code), r.text);
    };
    for (const ip of attackers) {
      refused(await login(t, owner, { password: WRONG, ip }), `attacker ${ip}`);
      refused(await login(t, owner, { ip }), `right password from attacker ${ip}`);
    }

    expectStatus(await login(t, owner, { ip: ownerIp }), 200, "the owner, right password, own address");
    // And again: the owner's success does not need the attack to stop.
    expectStatus(await login(t, owner, { ip: ownerIp }), 200, "the owner again");
  },
);

Deno.test(
  "throttle: after 10 failures in a row, an unfamiliar address waits a growing delay (429, even with the right " +
    "password); the owner's familiar address does not",
  opts,
  async () => {
    assert.equal(THROTTLE_AFTER, 10);
    const t = await testApp();
    const org = await createOrg(t, "throttle");
    const owner = org.admin;
    const ownerIp = uniqueIp();
    expectStatus(await login(t, owner, { ip: ownerIp }), 200, "the owner's usual address");

    // A guesser spreading over many addresses, each below the per-address lock.
    for (let i = 1; i <= THROTTLE_AFTER; i++) {
      expectError(await login(t, owner, { password: WRONG, ip: uniqueIp() }), 401, "invalid_credentials", `#${i}`);
    }
    const waited = await login(t, owner, { ip: uniqueIp() });
    expectError(waited, 429, "login_throttled", "the right password from a new address while throttled");
    const first = expectRetryAfter(waited, THROTTLE_BASE_MS / 1000);
    expectError(await login(t, owner, { password: WRONG, ip: uniqueIp() }), 429, "login_throttled", "a guess");

    // The owner's address is not slowed.
    expectStatus(await login(t, owner, { ip: ownerIp }), 200, "the owner, familiar address");

    // The owner's success starts the account's count over...
    expectStatus(await login(t, owner, { ip: uniqueIp() }), 200, "a new address after the owner's success");
    // ...and after another run of failures the delay grows with each further one.
    for (let i = 1; i <= THROTTLE_AFTER; i++) {
      await login(t, owner, { password: WRONG, ip: uniqueIp() });
    }
    await t.services.db().query(`UPDATE users SET locked_until = now() - interval '1 second' WHERE id = $1`, [
      owner.userId,
    ]);
    expectError(await login(t, owner, { password: WRONG, ip: uniqueIp() }), 401, "invalid_credentials", "next slot");
    const second = expectRetryAfter(
      await login(t, owner, { password: WRONG, ip: uniqueIp() }),
      2 * THROTTLE_BASE_MS / 1000,
    );
    assert.ok(second > THROTTLE_BASE_MS / 1000, `the delay doubled: ${first} s, then ${second} s`);

    const log = await auditLog(t, owner, `action=auth.login_throttled&actor=${owner.userId}`);
    expectStatus(log, 200);
    assert.equal(log.body.items.length, 2, "each run into the throttle is audited");
  },
);

Deno.test("rate limit: login per IP → 429 with Retry-After, whoever the account", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "rlip");
  const rule = AUTH_LIMITS.loginPerIp;
  await withinOneWindow(rule.windowMs, async () => {
    const ip = uniqueIp();
    for (let i = 0; i < rule.limit; i++) {
      // A different (unknown) account each time, so only the per-IP counter can trip.
      expectError(await login(t, { email: uniqueEmail("nobody") }, { ip }), 401, "invalid_credentials", `#${i + 1}`);
    }
    const over = await login(t, { email: uniqueEmail("nobody") }, { ip });
    expectError(over, 429, "rate_limited");
    expectRetryAfter(over, rule.windowMs / 1000);
    // The right credentials do not get past it either...
    expectError(await login(t, org.admin, { ip }), 429, "rate_limited", "valid login from a limited address");
  });
  // ...while another address is unaffected.
  expectStatus(await login(t, org.admin, { ip: uniqueIp() }), 200, "another address");
});

Deno.test("rate limit: registration per IP → 429", opts, async () => {
  const t = await testApp();
  const rule = AUTH_LIMITS.registerPerIp;
  await withinOneWindow(rule.windowMs, async () => {
    const ip = uniqueIp();
    for (let i = 0; i < rule.limit; i++) {
      // Refused for a weak password, after being counted: cheap, and nothing is created.
      const r = await call(t, "POST", "/api/auth/register", {
        body: { email: uniqueEmail("rlreg"), password: "password1234", name: "X", organization_name: "RL Co" },
        ip,
      });
      expectError(r, 400, "weak_password", `#${i + 1}`);
    }
    const over = await call(t, "POST", "/api/auth/register", {
      body: { email: uniqueEmail("rlreg"), password: GOOD_PASSWORD, name: "X", organization_name: "RL Co" },
      ip,
    });
    expectError(over, 429, "rate_limited");
    expectRetryAfter(over, rule.windowMs / 1000);
  });
});

Deno.test("rate limit: refresh per IP → 429", opts, async () => {
  const t = await testApp();
  const rule = AUTH_LIMITS.refreshPerIp;
  await withinOneWindow(rule.windowMs, async () => {
    const ip = uniqueIp();
    for (let i = 0; i < rule.limit; i++) {
      expectError(await refresh(t, `obr_unknown${i}`, ip), 401, "invalid_refresh_token", `#${i + 1}`);
    }
    const over = await refresh(t, "obr_unknown", ip);
    expectError(over, 429, "rate_limited");
    expectRetryAfter(over, rule.windowMs / 1000);
  });
});

Deno.test("rate limit: MFA code checks per account → 429", opts, async () => {
  const t = await testApp();
  const rule = AUTH_LIMITS.mfaPerAccount;
  await withinOneWindow(rule.windowMs, async () => {
    const org = await createOrg(t, "rlmfa");
    const token = org.admin.tokens.access_token;
    expectStatus(await call(t, "POST", "/api/auth/mfa/setup", { token }), 200);
    for (let i = 0; i < rule.limit; i++) {
      // From a new address each time: the limit is per account.
      const r = await call(t, "POST", "/api/auth/mfa/verify", { token, body: { code: "000000" }, ip: uniqueIp() });
      expectError(r, 400, "invalid_mfa_code", `#${i + 1}`);
    }
    const over = await call(t, "POST", "/api/auth/mfa/verify", { token, body: { code: "000000" } });
    expectError(over, 429, "rate_limited");
    expectRetryAfter(over, rule.windowMs / 1000);
  });
});

Deno.test(
  "X-Forwarded-For from an untrusted peer is ignored: spoofing it does not dodge the per-IP limit",
  opts,
  async () => {
    const t = await testApp();
    assert.deepEqual(t.services.config.trustedProxies, []);
    const rule = AUTH_LIMITS.refreshPerIp;
    await withinOneWindow(rule.windowMs, async () => {
      const peer = uniqueIp();
      for (let i = 0; i < rule.limit; i++) {
        const r = await call(t, "POST", "/api/auth/refresh", {
          body: { refresh_token: "obr_x" },
          ip: peer,
          headers: { "x-forwarded-for": uniqueIp() },
        });
        expectError(r, 401, "invalid_refresh_token", `#${i + 1}`);
      }
      const over = await call(t, "POST", "/api/auth/refresh", {
        body: { refresh_token: "obr_x" },
        ip: peer,
        headers: { "x-forwarded-for": uniqueIp() },
      });
      expectError(over, 429, "rate_limited", "a fresh X-Forwarded-For from the same peer");
    });

    // And the address recorded for a login is the peer's, not the claimed one.
    const email = uniqueEmail("xff");
    const peer2 = uniqueIp();
    const r = await call(t, "POST", "/api/auth/login", {
      body: { email, password: WRONG },
      ip: peer2,
      headers: { "x-forwarded-for": "198.51.100.23" },
    });
    expectError(r, 401, "invalid_credentials");
    const rows = await t.services.db().query<{ ip: string }>(`SELECT ip FROM login_attempts WHERE email = $1`, [email]);
    assert.deepEqual(rows.map((row) => row.ip), [peer2]);
  },
);

Deno.test("X-Forwarded-For from a trusted proxy is honoured: clients behind it are counted apart", opts, async () => {
  const t = await testApp({ TRUSTED_PROXIES: "127.0.0.1" });
  assert.deepEqual(t.services.config.trustedProxies, ["127.0.0.1"]);
  const rule = AUTH_LIMITS.refreshPerIp;
  const proxy = "127.0.0.1";
  const viaProxy = (xff: string, ip = proxy) =>
    call(t, "POST", "/api/auth/refresh", { body: { refresh_token: "obr_x" }, ip, headers: { "x-forwarded-for": xff } });
  await withinOneWindow(rule.windowMs, async () => {
    const client = uniqueIp();
    for (let i = 0; i < rule.limit; i++) expectStatus(await viaProxy(client), 401, `#${i + 1}`);
    expectError(await viaProxy(client), 429, "rate_limited", "the client behind the proxy is limited");
    // Another client behind the same proxy has its own counter.
    expectError(await viaProxy(uniqueIp()), 401, "invalid_refresh_token", "another client via the proxy");
    // A spoofed left-most entry does not help: the right-most untrusted hop is the client.
    expectError(await viaProxy(`${uniqueIp()}, ${client}`), 429, "rate_limited", "spoofed hop before the client");
  });

  // A peer that is not a configured proxy is still counted as itself, whatever it claims.
  await withinOneWindow(rule.windowMs, async () => {
    const stranger = uniqueIp();
    for (let i = 0; i < rule.limit; i++) expectStatus(await viaProxy(uniqueIp(), stranger), 401, `stranger #${i + 1}`);
    expectError(await viaProxy(uniqueIp(), stranger), 429, "rate_limited", "untrusted peer on the proxy-aware app");
  });

  // The address recorded is the client's.
  const email = uniqueEmail("xfftrusted");
  const real = "198.51.100.77";
  await call(t, "POST", "/api/auth/login", {
    body: { email, password: WRONG },
    ip: proxy,
    headers: { "x-forwarded-for": `203.0.113.9, ${real}` },
  });
  const rows = await t.services.db().query<{ ip: string }>(`SELECT ip FROM login_attempts WHERE email = $1`, [email]);
  assert.deepEqual(rows.map((r) => r.ip), [real]);
});
