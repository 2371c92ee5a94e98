/**
 * Sessions: refresh-token rotation and reuse detection, logout, and the events
 * that end every session of a user at once (password change, disabling,
 * removal from the organization).
 */
import assert from "node:assert/strict";
import {
  addMember,
  auditLog,
  call,
  claimsOf,
  createOrg,
  expectError,
  expectStatus,
  login,
  meStatus,
  newSession,
  opts,
  pastGrace,
  refresh,
  type TokenPair,
} from "../helpers/auth.ts";
import { createAuth } from "../../services/auth/service.ts";
import { DomainError } from "../../services/errors.ts";
import { testApp, uniqueIp } from "../helpers/test_app.ts";

const NEW_PASSWORD = "quartz-Heron-lantern-83?";

Deno.test(
  "refresh: rotation issues a new pair in the same session and spends the old refresh token",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "rotate");
    const first = await newSession(t, org.admin);
    const r = await refresh(t, first.refresh_token);
    expectStatus(r, 200);
    const second = r.body as TokenPair;
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.notEqual(second.access_token, first.access_token);
    assert.equal(claimsOf(second.access_token).sid, claimsOf(first.access_token).sid, "same session (family)");
    // The absolute expiry of the session carries over; rotation does not extend it.
    assert.equal(second.refresh_expires_at, first.refresh_expires_at);
    expectStatus(await meStatus(t, second.access_token), 200);
    // And again: a chain of rotations works.
    const third = await refresh(t, second.refresh_token);
    expectStatus(third, 200);
    expectStatus(await meStatus(t, third.body.access_token), 200);
    // Garbage and unknown tokens.
    expectError(await refresh(t, "obr_" + "x".repeat(43)), 401, "invalid_refresh_token");
    const wrongKind = await refresh(t, first.access_token);
    assert.ok(
      wrongKind.status === 400 || wrongKind.status === 401,
      `an access token is no refresh token: ${wrongKind.text}`,
    );
  },
);

Deno.test(
  "refresh: reusing a rotated token → 401 refresh_token_reused, ends the whole session, is audited",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "reuse");
    const trader = await addMember(t, org, "trader");
    const other = await newSession(t, trader); // a second, unrelated session of the same user
    const stolen = await newSession(t, trader);
    const rotated = await refresh(t, stolen.refresh_token);
    expectStatus(rotated, 200);
    const successor = rotated.body as TokenPair;
    expectStatus(await meStatus(t, successor.access_token), 200, "successor works before the reuse");

    // Past the grace window of a concurrent refresh (moved into the past rather than waiting).
    await pastGrace(t, stolen.refresh_token);
    const replay = await refresh(t, stolen.refresh_token);
    expectError(replay, 401, "refresh_token_reused");

    // The whole family is revoked: the successor refresh token, and every access token of the session.
    expectError(await refresh(t, successor.refresh_token), 401, "invalid_refresh_token");
    expectStatus(await meStatus(t, successor.access_token), 401, "successor access token");
    expectStatus(await meStatus(t, stolen.access_token), 401, "original access token");
    // Replaying again keeps failing (and is still reported as reuse).
    expectError(await refresh(t, stolen.refresh_token), 401, "refresh_token_reused");
    // Another session of the same user is untouched.
    expectStatus(await meStatus(t, other.access_token), 200, "other session");
    expectStatus(await refresh(t, other.refresh_token), 200, "other session refreshes");

    const log = await auditLog(t, org.admin, "action=auth.refresh_reuse");
    expectStatus(log, 200);
    const entries = log.body.items.filter((e: { target_id: string }) =>
      e.target_id === claimsOf(stolen.access_token).sid
    );
    // Both replays are audited; the first (the older entry) revoked the family's live token.
    assert.equal(entries.length, 2, `auth.refresh_reuse audited: ${JSON.stringify(log.body)}`);
    const firstReplay = entries[1];
    assert.equal(firstReplay.actor_user_id, trader.userId);
    assert.equal(firstReplay.target_type, "session");
    assert.ok(Number(firstReplay.details.revoked_tokens) >= 1, `revoked: ${JSON.stringify(entries)}`);
  },
);

Deno.test(
  "refresh: concurrent refreshes with one token (two tabs) all get a working successor in the same session",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "race");
    for (const n of [2, 5]) {
      const s = await newSession(t, org.admin);
      const results = await Promise.all(Array.from({ length: n }, () => refresh(t, s.refresh_token)));
      for (const r of results) expectStatus(r, 200, "every tab");
      const sid = claimsOf(s.access_token).sid;
      for (const r of results) {
        const pair = r.body as TokenPair;
        assert.equal(claimsOf(pair.access_token).sid, sid, "the same session");
        assert.equal(pair.refresh_expires_at, s.refresh_expires_at, "the session's expiry, not a new one");
        expectStatus(await meStatus(t, pair.access_token), 200, "each successor's access token works");
      }
      // Each tab's successor refreshes on (the session was not ended).
      for (const r of results) expectStatus(await refresh(t, r.body.refresh_token), 200, "a successor rotates");

      // After the window, the spent token is reuse again: the whole session ends.
      await pastGrace(t, s.refresh_token);
      expectError(await refresh(t, s.refresh_token), 401, "refresh_token_reused");
      expectStatus(await meStatus(t, results[0].body.access_token), 401, "the session is ended");
    }
  },
);

Deno.test("refresh: the grace window does not revive a session that was logged out", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "race-logout");
  const s = await newSession(t, org.admin);
  const r = await refresh(t, s.refresh_token);
  expectStatus(r, 200);
  const out = await call(t, "POST", "/api/auth/logout", { token: r.body.access_token, body: {} });
  assert.ok(out.status === 204 || out.status === 200, out.text);
  // Within the window, but the family is revoked: no successor.
  expectStatus(await refresh(t, s.refresh_token), 401, "the rotated token after logout");
});

Deno.test(
  "logout: ends this session (access and refresh token), leaves others; everywhere ends all",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "logout");
    const a = await newSession(t, org.admin);
    const b = await newSession(t, org.admin);
    expectStatus(await meStatus(t, a.access_token), 200);

    expectStatus(await call(t, "POST", "/api/auth/logout", { token: a.access_token }), 204);
    expectError(await meStatus(t, a.access_token), 401, "invalid_token");
    expectStatus(await refresh(t, a.refresh_token), 401, "refresh after logout");
    expectStatus(await meStatus(t, b.access_token), 200, "the other session");

    // A rotated-then-logged-out session: the successor is revoked too.
    const c = await newSession(t, org.admin);
    const c2 = (await refresh(t, c.refresh_token)).body as TokenPair;
    expectStatus(await call(t, "POST", "/api/auth/logout", { token: c.access_token }), 204);
    expectStatus(await meStatus(t, c2.access_token), 401);
    expectStatus(await refresh(t, c2.refresh_token), 401);

    const d = await newSession(t, org.admin);
    expectStatus(await call(t, "POST", "/api/auth/logout", { token: d.access_token, body: { everywhere: true } }), 204);
    for (const s of [b, d]) {
      expectStatus(await meStatus(t, s.access_token), 401, "everywhere: access");
      expectStatus(await refresh(t, s.refresh_token), 401, "everywhere: refresh");
    }
    // Logging out needs to be signed in.
    expectStatus(await call(t, "POST", "/api/auth/logout", { token: a.access_token }), 401);
    const logged = await auditLog(t, { ...org.admin, tokens: await newSession(t, org.admin) }, "action=auth.logout");
    assert.ok(logged.body.items.length >= 3, "logouts audited");
  },
);

Deno.test("password change ends every session at once and returns a new one", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "pwchange");
  const analyst = await addMember(t, org, "analyst");
  const phone = await newSession(t, analyst);
  const laptop = await newSession(t, analyst);

  const wrong = await call(t, "PUT", "/api/auth/password", {
    token: laptop.access_token,
    body: { current_password: "not-the-password-123!", new_password: NEW_PASSWORD },
  });
  expectError(wrong, 400, "invalid_credentials");
  expectStatus(await meStatus(t, phone.access_token), 200, "a failed change ends nothing");

  const changed = await call(t, "PUT", "/api/auth/password", {
    token: laptop.access_token,
    body: { current_password: analyst.password, new_password: NEW_PASSWORD },
  });
  expectStatus(changed, 200);
  const fresh = changed.body as TokenPair;

  for (const [name, s] of [["registration", analyst.tokens], ["phone", phone], ["laptop", laptop]] as const) {
    expectStatus(await meStatus(t, s.access_token), 401, `${name} access token`);
    expectStatus(await refresh(t, s.refresh_token), 401, `${name} refresh token`);
  }
  expectStatus(await meStatus(t, fresh.access_token), 200, "the new session");
  expectStatus(await refresh(t, fresh.refresh_token), 200, "the new session refreshes");
  expectError(await login(t, analyst), 401, "invalid_credentials");
  expectStatus(await login(t, { email: analyst.email, password: NEW_PASSWORD }), 200);
});

Deno.test("disabling a member ends their sessions and keys at once; they cannot sign in", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "disable");
  const trader = await addMember(t, org, "trader");
  const second = await newSession(t, trader);
  const key = await call(t, "POST", "/api/api-keys", { token: trader.tokens.access_token, body: { name: "bot" } });
  expectStatus(key, 201);
  expectStatus(await meStatus(t, key.body.key), 200, "key works before");

  const r = await call(t, "PUT", `/api/users/${trader.userId}`, {
    token: org.admin.tokens.access_token,
    body: { status: "disabled" },
  });
  expectStatus(r, 200);
  assert.equal(r.body.status, "disabled");
  for (const s of [trader.tokens, second]) {
    expectStatus(await meStatus(t, s.access_token), 401, "access token of a disabled user");
    expectStatus(await refresh(t, s.refresh_token), 401, "refresh token of a disabled user");
  }
  expectStatus(await meStatus(t, key.body.key), 401, "API key of a disabled user");
  expectError(await login(t, trader), 403, "account_disabled");

  // Enabling again lets them sign in; the old sessions stay dead.
  const enable = await call(t, "PUT", `/api/users/${trader.userId}`, {
    token: org.admin.tokens.access_token,
    body: { status: "active" },
  });
  expectStatus(enable, 200);
  expectStatus(await meStatus(t, second.access_token), 401, "old session after re-enabling");
  expectStatus(await login(t, trader), 200);
});

Deno.test("removing a member ends their sessions and revokes their keys at once", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "remove");
  const viewer = await addMember(t, org, "analyst");
  const key = await call(t, "POST", "/api/api-keys", { token: viewer.tokens.access_token, body: { name: "ro" } });
  expectStatus(key, 201);
  const other = await newSession(t, viewer);

  expectStatus(
    await call(t, "DELETE", `/api/users/${viewer.userId}`, { token: org.admin.tokens.access_token }),
    204,
  );
  for (const s of [viewer.tokens, other]) {
    expectStatus(await meStatus(t, s.access_token), 401, "access token of a removed member");
    expectStatus(await refresh(t, s.refresh_token), 401, "refresh token of a removed member");
  }
  expectStatus(await meStatus(t, key.body.key), 401, "API key of a removed member");
  const relogin = await login(t, viewer);
  assert.ok(relogin.status === 403 || relogin.status === 401, `no way back in: ${relogin.status} ${relogin.text}`);
  const members = await call(t, "GET", "/api/users", { token: org.admin.tokens.access_token });
  assert.ok(!members.body.items.some((m: { id: string }) => m.id === viewer.userId), "gone from the member list");
  expectStatus(
    await call(t, "GET", `/api/users/${viewer.userId}`, { token: org.admin.tokens.access_token }),
    404,
  );
});

Deno.test("refresh: the grace window is injectable; with none, a second use is reuse at once", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "nograce");
  const strict = createAuth({
    config: t.services.config,
    db: t.services.db,
    kv: t.services.kv,
    redis: () => null,
    refreshGraceMs: 0,
  });
  const s = await newSession(t, org.admin);
  const meta = { ip: uniqueIp() };
  const next = await strict.accounts.refresh(s.refresh_token, meta);
  await assert.rejects(
    strict.accounts.refresh(s.refresh_token, meta),
    (e: unknown) => e instanceof DomainError && e.code === "refresh_token_reused",
  );
  await assert.rejects(
    strict.accounts.refresh(next.refresh_token, meta),
    (e: unknown) => e instanceof DomainError && e.code === "invalid_refresh_token",
    "the family is revoked",
  );
});
