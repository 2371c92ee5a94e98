/**
 * The auth rules under real concurrency: Postgres (transactions that really
 * interleave, unlike PGlite's single connection) and Redis (the shared rate
 * limit counters). Runs on a database of its own, named after this run's, so
 * `tests/run.ts` drops it afterwards.
 */
import assert from "node:assert/strict";
import { LOCKOUT_THRESHOLD, THROTTLE_AFTER } from "../../services/auth/login_guard.ts";
import { sha256Hex } from "../../services/crypto/sha256.ts";
import { AUTH_LIMITS } from "../../services/auth/rate_limit.ts";
import { REFRESH_GRACE_MS } from "../../services/auth/sessions.ts";
import { totpCode } from "../../services/auth/totp.ts";
import {
  addMember,
  call,
  claimsOf,
  createOrg,
  expectError,
  expectStatus,
  login,
  meStatus,
  newSession,
  opts,
  refresh,
  withinOneWindow,
} from "../helpers/auth.ts";
import { freshPostgresUrl, freshRedisPrefix, serviceTest, testServices } from "../helpers/services.ts";
import { GOOD_PASSWORD, type TestApp, testApp, uniqueEmail, uniqueIp } from "../helpers/test_app.ts";

let app: Promise<TestApp> | undefined;
const redisPrefix = freshRedisPrefix("auth");

function pgApp(): Promise<TestApp> {
  app ??= (async () => {
    const t = await testApp({
      DATABASE_URL: await freshPostgresUrl("auth", { migrated: true }),
      REDIS_URL: testServices.redis!,
      REDIS_KEY_PREFIX: redisPrefix,
    });
    assert.equal(t.services.db().kind, "postgres");
    // Rate limits must run on Redis here, not fall back to KV: wait (a bound) for the connection.
    const deadline = Date.now() + 30_000;
    while (!t.services.adapters.redis.client() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(t.services.adapters.redis.client(), "Redis connected");
    return t;
  })();
  return app;
}

const needs = ["postgres", "redis"] as const;

serviceTest(
  "concurrency: simultaneous refreshes with one token all get a successor in the session; reuse after the window " +
    "ends it",
  [...needs],
  async () => {
    const t = await pgApp();
    const org = await createOrg(t, "pgrace");
    for (let round = 0; round < 3; round++) {
      const s = await newSession(t, org.admin);
      const results = await Promise.all(Array.from({ length: 10 }, () => refresh(t, s.refresh_token)));
      assert.deepEqual(results.map((r) => r.status), Array(10).fill(200), results.map((r) => r.text).join("\n"));
      const sid = claimsOf(s.access_token).sid;
      for (const r of results) {
        assert.equal(claimsOf(r.body.access_token).sid, sid, "the same session");
        expectStatus(await meStatus(t, r.body.access_token), 200, "a successor's access token");
      }
      // The winner's successor and a loser's both rotate on, at the same time too.
      const next = await Promise.all(results.slice(0, 2).map((r) => refresh(t, r.body.refresh_token)));
      assert.deepEqual(next.map((r) => r.status), [200, 200]);

      // After the window (moved into the past rather than waited for) the spent token is reuse.
      await t.services.db().query(
        `UPDATE refresh_tokens SET rotated_at = rotated_at - make_interval(secs => $2::float8 / 1000)
          WHERE token_hash = $1`,
        [await sha256Hex(s.refresh_token), REFRESH_GRACE_MS + 1000],
      );
      const replays = await Promise.all(Array.from({ length: 3 }, () => refresh(t, s.refresh_token)));
      for (const r of replays) expectError(r, 401, "refresh_token_reused");
      for (const r of [...results, ...next]) {
        expectStatus(await meStatus(t, r.body.access_token), 401, "every token of the session is revoked");
      }
      expectStatus(await refresh(t, next[0].body.refresh_token), 401, "its latest refresh token too");
    }
  },
  opts,
);

serviceTest(
  "concurrency: simultaneous registrations of one email → one account, the rest 409 (never 500)",
  [...needs],
  async () => {
    const t = await pgApp();
    for (let round = 0; round < 3; round++) {
      const email = uniqueEmail("pgdup");
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          call(t, "POST", "/api/auth/register", {
            body: { email, password: GOOD_PASSWORD, name: "Dup", organization_name: `Dup Co ${i}` },
          })),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409], results.map((r) => r.text.slice(0, 120)).join("\n"));
      const users = await t.services.db().query(`SELECT 1 FROM users WHERE lower(email) = lower($1)`, [email]);
      assert.equal(users.length, 1);
    }
  },
  opts,
);

serviceTest(
  "concurrency: simultaneous wrong passwords from one address cannot slip past its lock",
  [...needs],
  async () => {
    const t = await pgApp();
    const org = await createOrg(t, "pglock");
    const ip = uniqueIp();
    const results = await Promise.all(
      Array.from({ length: 12 }, () => login(t, org.admin, { password: "wrong-Password-000", ip })),
    );
    const plainFailures = results.filter((r) => r.status === 401).length;
    assert.ok(plainFailures <= LOCKOUT_THRESHOLD, `${plainFailures} passwords checked before the lock`);
    assert.ok(results.every((r) => r.status === 401 || r.status === 429), results.map((r) => r.status).join());
    assert.equal((await login(t, org.admin, { ip })).status, 429, "this address is locked");
    assert.equal((await login(t, org.admin, { ip: uniqueIp() })).status, 200, "the owner elsewhere is not");
  },
  opts,
);

serviceTest(
  "concurrency: a burst of guesses from many addresses at a throttled account gets one try, not one each",
  [...needs],
  async () => {
    const t = await pgApp();
    const org = await createOrg(t, "pgthrottle");
    for (let i = 0; i < THROTTLE_AFTER; i++) {
      assert.equal((await login(t, org.admin, { password: "wrong-Password-000", ip: uniqueIp() })).status, 401);
    }
    // The delay has run out: the next unfamiliar address may try once.
    await t.services.db().query(`UPDATE users SET locked_until = now() - interval '1 second' WHERE id = $1`, [
      org.admin.userId,
    ]);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => login(t, org.admin, { password: "wrong-Password-001", ip: uniqueIp() })),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [401, 429, 429, 429, 429, 429, 429, 429], results.map((r) => r.text).join("\n"));
  },
  opts,
);

serviceTest("concurrency: one invitation accepted twice at once → one member", [...needs], async () => {
  const t = await pgApp();
  const org = await createOrg(t, "pginv");
  const email = uniqueEmail("pginvitee");
  const inv = await call(t, "POST", "/api/organizations/current/invitations", {
    token: org.admin.tokens.access_token,
    body: { email, role: "viewer" },
  });
  expectStatus(inv, 201);
  const results = await Promise.all(
    Array.from({ length: 4 }, () =>
      call(t, "POST", "/api/auth/register", {
        body: { email, password: GOOD_PASSWORD, name: "Twice", invitation_token: inv.body.token },
      })),
  );
  const statuses = results.map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join());
  assert.ok(statuses.every((s) => s === 201 || s === 409 || s === 400), statuses.join());
}, opts);

serviceTest("concurrency: two admins demoting each other at once leave one admin", [...needs], async () => {
  const t = await pgApp();
  for (let round = 0; round < 3; round++) {
    const org = await createOrg(t, "pgadmins");
    const b = await addMember(t, org, "admin", "pg-second-admin");
    const [x, y] = await Promise.all([
      call(t, "PUT", `/api/users/${b.userId}`, { token: org.admin.tokens.access_token, body: { role: "viewer" } }),
      call(t, "PUT", `/api/users/${org.admin.userId}`, { token: b.tokens.access_token, body: { role: "viewer" } }),
    ]);
    const rows = await t.services.db().query<{ n: number }>(
      `SELECT count(*)::int AS n FROM memberships WHERE org_id = $1 AND role = 'admin'`,
      [org.id],
    );
    assert.equal(rows[0].n, 1, `admins left: ${rows[0].n} (${x.status} ${x.text} / ${y.status} ${y.text})`);
    assert.ok([x.status, y.status].includes(200));
  }
}, opts);

serviceTest("concurrency: one TOTP code, and one backup code, log in at most once", [...needs], async () => {
  const t = await pgApp();
  const org = await createOrg(t, "pgmfa");
  const token = org.admin.tokens.access_token;
  const setup = await call(t, "POST", "/api/auth/mfa/setup", { token });
  const at = Date.now();
  const verify = await call(t, "POST", "/api/auth/mfa/verify", {
    token,
    body: { code: totpCode(setup.body.secret, at) },
  });
  expectStatus(verify, 200);
  const code = totpCode(setup.body.secret, at + 30_000);
  const viaTotp = await Promise.all(
    Array.from({ length: 4 }, () => login(t, org.admin, { totp_code: code, ip: uniqueIp() })),
  );
  assert.equal(viaTotp.filter((r) => r.status === 200).length, 1, viaTotp.map((r) => r.status).join());
  const backup = verify.body.backup_codes[0];
  const viaBackup = await Promise.all(
    Array.from({ length: 4 }, () => login(t, org.admin, { backup_code: backup, ip: uniqueIp() })),
  );
  assert.equal(viaBackup.filter((r) => r.status === 200).length, 1, viaBackup.map((r) => r.status).join());
}, opts);

serviceTest("concurrency: the per-IP limit is exact under a burst (Redis counter)", [...needs], async () => {
  const t = await pgApp();
  const rule = AUTH_LIMITS.refreshPerIp;
  const ip = await withinOneWindow(rule.windowMs, async () => {
    const ip = uniqueIp();
    const results = await Promise.all(
      Array.from({ length: rule.limit + 20 }, () => refresh(t, "obr_unknown", ip)),
    );
    const limited = results.filter((r) => r.status === 429).length;
    assert.equal(limited, 20, results.map((r) => r.status).join());
    return ip;
  });
  // The counter is in Redis, under this app's prefix.
  const redis = t.services.adapters.redis.client();
  assert.ok(redis, "Redis is connected");
  const keys = await redis.keys(`${redisPrefix}ratelimit:refresh:ip:${ip}:*`);
  assert.equal(keys.length, 1);
}, opts);
