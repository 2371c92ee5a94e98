/**
 * Two-factor authentication: enrolment (secret, otpauth URI, QR), codes at
 * login that are good once, single-use backup codes, and turning it off.
 */
import assert from "node:assert/strict";
import { totpCode } from "../../services/auth/totp.ts";
import { addMember, call, createOrg, expectError, expectStatus, login, type Member, opts } from "../helpers/auth.ts";
import { THROTTLE_AFTER } from "../../services/auth/login_guard.ts";
import { GOOD_PASSWORD, type TestApp, testApp, uniqueIp } from "../helpers/test_app.ts";

const STEP_MS = 30_000;

/** Six digits that are not the code of any step near now. */
function wrongCode(secret: string): string {
  const near = new Set([-3, -2, -1, 0, 1, 2, 3].map((d) => totpCode(secret, Date.now() + d * STEP_MS)));
  for (let n = 123_456;; n = (n + 1) % 1_000_000) {
    const c = String(n).padStart(6, "0");
    if (!near.has(c)) return c;
  }
}

async function enrol(t: TestApp, m: Member): Promise<{ secret: string; backup: string[]; verifiedAt: number }> {
  const token = m.tokens.access_token;
  const setup = await call(t, "POST", "/api/auth/mfa/setup", { token });
  expectStatus(setup, 200, "setup");
  const verifiedAt = Date.now();
  const verify = await call(t, "POST", "/api/auth/mfa/verify", {
    token,
    body: { code: totpCode(setup.body.secret, verifiedAt) },
  });
  expectStatus(verify, 200, "verify");
  return { secret: setup.body.secret, backup: verify.body.backup_codes, verifiedAt };
}

Deno.test(
  "MFA: setup returns a secret, its otpauth URI and an SVG QR code; nothing is on until verified",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "mfasetup");
    const token = org.admin.tokens.access_token;
    const r = await call(t, "POST", "/api/auth/mfa/setup", { token });
    expectStatus(r, 200);
    const { secret, otpauth_uri, qr_svg } = r.body;
    assert.match(secret, /^[A-Z2-7]{32}$/, "160-bit base32 secret");
    const uri = new URL(otpauth_uri);
    assert.equal(uri.protocol, "otpauth:");
    assert.equal(uri.host, "totp");
    assert.equal(uri.searchParams.get("secret"), secret);
    assert.equal(uri.searchParams.get("issuer"), "OptiBid");
    assert.ok(decodeURIComponent(uri.pathname).includes(org.admin.email), `account in the label: ${otpauth_uri}`);
    assert.match(qr_svg, /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/);
    assert.match(qr_svg, /<\/svg>\s*$/);

    const me = await call(t, "GET", "/api/auth/me", { token });
    assert.equal(me.body.user.mfa_enabled, false, "setup alone does not turn it on");
    expectStatus(await login(t, org.admin), 200, "login needs no code yet");

    // A wrong code does not turn it on.
    expectError(
      await call(t, "POST", "/api/auth/mfa/verify", { token, body: { code: wrongCode(secret) } }),
      400,
      "invalid_mfa_code",
    );
    assert.equal((await call(t, "GET", "/api/auth/me", { token })).body.user.mfa_enabled, false);
    // Verifying before any setup is a conflict, not a crash.
    const other = await addMember(t, org, "viewer");
    expectError(
      await call(t, "POST", "/api/auth/mfa/verify", { token: other.tokens.access_token, body: { code: "123456" } }),
      409,
      "mfa_setup_required",
    );
  },
);

Deno.test("MFA: verify enables it with 10 backup codes; login then needs a code, each good once", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "mfalogin");
  const user = org.admin;
  const token = user.tokens.access_token;
  const { secret, backup, verifiedAt } = await enrol(t, user);

  assert.equal(backup.length, 10);
  assert.equal(new Set(backup).size, 10, "distinct");
  for (const c of backup) assert.match(c, /^[a-z0-9]{5}-[a-z0-9]{5}$/);
  // Stored hashed only.
  const stored = await t.services.db().query<{ code_hash: string }>(
    `SELECT code_hash FROM mfa_backup_codes WHERE user_id = $1`,
    [user.userId],
  );
  assert.equal(stored.length, 10);
  for (const row of stored) assert.ok(!backup.includes(row.code_hash));
  const me = await call(t, "GET", "/api/auth/me", { token });
  assert.equal(me.body.user.mfa_enabled, true);
  expectError(await call(t, "POST", "/api/auth/mfa/setup", { token }), 409, "mfa_already_enabled");

  expectError(await login(t, user), 401, "mfa_required", "no code");
  // The next step's code (the current one was spent by verify).
  const next = totpCode(secret, verifiedAt + STEP_MS);
  const ok = await login(t, user, { totp_code: next });
  expectStatus(ok, 200, "valid code");
  expectStatus(await call(t, "GET", "/api/auth/me", { token: ok.body.access_token }), 200);
  expectError(await login(t, user, { totp_code: next }), 401, "invalid_mfa_code", "the same code again");
  expectError(
    await login(t, user, { totp_code: totpCode(secret, verifiedAt) }),
    401,
    "invalid_mfa_code",
    "an older code (the one verify used)",
  );
  expectError(await login(t, user, { totp_code: wrongCode(secret) }), 401, "invalid_mfa_code", "a wrong code");

  expectStatus(await login(t, user, { backup_code: backup[0] }), 200, "a backup code");
  expectError(await login(t, user, { backup_code: backup[0] }), 401, "invalid_mfa_code", "the backup code again");
  // Typed differently (case, spaces) it is the same code.
  expectStatus(
    await login(t, user, { backup_code: ` ${backup[1].toUpperCase().replace("-", " - ")} ` }),
    200,
    "a backup code typed loosely",
  );
  const used = await t.services.db().query<{ n: number }>(
    `SELECT count(*)::int AS n FROM mfa_backup_codes WHERE user_id = $1 AND used_at IS NOT NULL`,
    [user.userId],
  );
  assert.equal(used[0].n, 2);
  // A code never replaces the password.
  expectError(
    await login(t, user, { password: "wrong-Password-999", backup_code: backup[2] }),
    401,
    "invalid_credentials",
  );
});

Deno.test("MFA: disable needs the password and a code (backup or TOTP); then login needs no code", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "mfaoff");
  const user = org.admin;
  const token = user.tokens.access_token;
  const { secret, backup, verifiedAt } = await enrol(t, user);
  const disable = (body: unknown) => call(t, "POST", "/api/auth/mfa/disable", { token, body });

  expectError(await disable({ password: "wrong-Password-999", code: backup[0] }), 400, "invalid_credentials");
  expectError(await disable({ password: GOOD_PASSWORD, code: wrongCode(secret) }), 400, "invalid_mfa_code");
  expectError(await disable({ password: GOOD_PASSWORD, code: "aaaaa-bbbbb" }), 400, "invalid_mfa_code");
  expectError(
    await disable({ password: GOOD_PASSWORD, code: totpCode(secret, verifiedAt) }),
    400,
    "invalid_mfa_code",
    "the already-used verify code",
  );
  expectStatus(await disable({ password: GOOD_PASSWORD }), 400, "no code");
  expectStatus(await disable({ code: backup[0] }), 400, "no password");
  assert.equal((await call(t, "GET", "/api/auth/me", { token })).body.user.mfa_enabled, true, "still on");
  expectError(await login(t, user), 401, "mfa_required");

  // The backup code refused with the wrong password above was not spent by it.
  expectStatus(await disable({ password: GOOD_PASSWORD, code: backup[0] }), 204);
  assert.equal((await call(t, "GET", "/api/auth/me", { token })).body.user.mfa_enabled, false);
  expectStatus(await login(t, user), 200, "no code needed any more");
  const rows = await t.services.db().query(`SELECT 1 FROM mfa_backup_codes WHERE user_id = $1`, [user.userId]);
  assert.equal(rows.length, 0, "backup codes deleted");
  expectError(await disable({ password: GOOD_PASSWORD, code: backup[1] }), 409, "mfa_not_enabled");

  // With a TOTP code instead (another member, fresh enrolment).
  const trader = await addMember(t, org, "trader");
  const e = await enrol(t, trader);
  const r = await call(t, "POST", "/api/auth/mfa/disable", {
    token: trader.tokens.access_token,
    body: { password: GOOD_PASSWORD, code: totpCode(e.secret, e.verifiedAt + STEP_MS) },
  });
  expectStatus(r, 204, "disable with a TOTP code");
  expectStatus(await login(t, trader), 200);
});

Deno.test(
  "MFA: wrong codes with the right password count as failed logins and lock that address out",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "mfalock");
    const user = org.admin;
    const ip = uniqueIp();
    const { secret, verifiedAt } = await enrol(t, user);
    // Asking for the code is no failure.
    for (let i = 0; i < 2; i++) expectError(await login(t, user, { ip }), 401, "mfa_required");
    for (let i = 1; i < 5; i++) {
      expectError(await login(t, user, { ip, totp_code: wrongCode(secret) }), 401, "invalid_mfa_code", `code #${i}`);
    }
    const locked = await login(t, user, { ip, totp_code: wrongCode(secret) });
    expectError(locked, 429, "login_locked", "the fifth wrong code");
    assert.ok(Number(locked.headers.get("retry-after")) > 0);
    // Now even a valid code is refused from this address until the lock ends...
    const code = totpCode(secret, verifiedAt + STEP_MS);
    expectError(await login(t, user, { ip, totp_code: code }), 429, "login_locked");
    // ...while the owner elsewhere gets in.
    expectStatus(await login(t, user, { ip: uniqueIp(), totp_code: code }), 200, "another address");
  },
);

Deno.test("MFA: the password step's challenge stands in for the password at the code step", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "mfachallenge");
  const user = org.admin;
  const ip = uniqueIp();
  const { secret, verifiedAt } = await enrol(t, user);
  const step1 = await login(t, user, { ip });
  expectError(step1, 401, "mfa_required");
  const challenge = step1.body.error.details?.mfa_challenge;
  assert.equal(typeof challenge, "string", step1.text);

  const withChallenge = (body: Record<string, string>) =>
    call(t, "POST", "/api/auth/login", { body: { email: user.email, ...body }, ip });
  // A challenge is no session by itself, and no access token either.
  expectError(await withChallenge({ mfa_challenge: challenge }), 401, "mfa_required");
  expectError(await call(t, "GET", "/api/auth/me", { token: challenge }), 401, "invalid_token");
  // Not for another account, and not forged.
  const other = await createOrg(t, "mfachallenge-other");
  expectError(
    await call(t, "POST", "/api/auth/login", {
      body: { email: other.admin.email, mfa_challenge: challenge, totp_code: "123456" },
      ip,
    }),
    401,
    "mfa_challenge_invalid",
  );
  expectError(
    await withChallenge({ mfa_challenge: challenge.slice(0, -2) + "xx", totp_code: "123456" }),
    401,
    "mfa_challenge_invalid",
  );
  // A wrong code keeps the challenge usable; the right one signs in.
  expectError(await withChallenge({ mfa_challenge: challenge, totp_code: wrongCode(secret) }), 401, "invalid_mfa_code");
  const ok = await withChallenge({ mfa_challenge: challenge, totp_code: totpCode(secret, verifiedAt + STEP_MS) });
  expectStatus(ok, 200, "challenge + code");
  assert.equal(ok.body.user.id, user.userId);

  // A password change voids challenges issued before it.
  const changed = await call(t, "PUT", "/api/auth/password", {
    token: ok.body.access_token,
    body: { current_password: GOOD_PASSWORD, new_password: "another-Granite-otter-58?" },
    ip,
  });
  expectStatus(changed, 200, "password changed");
  expectError(
    await withChallenge({ mfa_challenge: challenge, totp_code: totpCode(secret, verifiedAt + 2 * STEP_MS) }),
    401,
    "mfa_challenge_invalid",
  );
});

Deno.test(
  "MFA: a code with the password passes the account-wide throttle; the answer does not tell which half was wrong",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "mfathrottle");
    const user = org.admin;
    const { secret, verifiedAt } = await enrol(t, user);
    for (let i = 0; i < THROTTLE_AFTER; i++) {
      expectError(await login(t, user, { password: "wrong-Password-000", ip: uniqueIp() }), 401, "invalid_credentials");
    }
    // From a new address: a password alone waits...
    expectError(await login(t, user, { ip: uniqueIp() }), 429, "login_throttled", "password alone");
    // ...a guess at both does not, and learns nothing about the password.
    expectError(
      await login(t, user, { ip: uniqueIp(), totp_code: wrongCode(secret) }),
      401,
      "invalid_credentials",
      "right password, wrong code, while throttled",
    );
    expectError(
      await login(t, user, { password: "wrong-Password-001", ip: uniqueIp(), totp_code: wrongCode(secret) }),
      401,
      "invalid_credentials",
      "wrong password, wrong code",
    );
    // The owner with their code gets in from anywhere.
    expectStatus(await login(t, user, { ip: uniqueIp(), totp_code: totpCode(secret, verifiedAt + STEP_MS) }), 200);
  },
);
