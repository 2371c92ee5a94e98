/**
 * API keys: the secret is shown once and stored only as a hash, the prefix
 * stays visible, a key's role is never above its creator's, use is recorded,
 * and a revoked or expired key is refused.
 */
import assert from "node:assert/strict";
import { sha256Hex } from "../../services/crypto/sha256.ts";
import type { Role } from "../../services/auth/rbac.ts";
import { call, createOrg, expectError, expectStatus, opts, orgWithAllRoles } from "../helpers/auth.ts";
import { testApp } from "../helpers/test_app.ts";

Deno.test(
  "API keys: shown once, stored hashed, prefix visible, accepted as Bearer, last use recorded",
  opts,
  async () => {
    const t = await testApp();
    const { members } = await orgWithAllRoles(t, "keys");
    const trader = members.trader;
    const token = trader.tokens.access_token;

    const created = await call(t, "POST", "/api/api-keys", { token, body: { name: "pricing bot" } });
    expectStatus(created, 201);
    const { key, api_key } = created.body;
    assert.match(key, /^obk_[A-Za-z0-9_-]{43}$/);
    assert.equal(api_key.prefix, key.slice(0, 12));
    assert.equal(api_key.role, "trader", "defaults to the creator's role");
    assert.equal(api_key.user_id, trader.userId);
    assert.equal(api_key.last_used_at, null);
    assert.equal(api_key.expires_at, null);

    // Never shown again: not in the list, which does show the prefix.
    const list = await call(t, "GET", "/api/api-keys", { token });
    expectStatus(list, 200);
    const listed = list.body.items.find((k: { id: string }) => k.id === api_key.id);
    assert.equal(listed.prefix, api_key.prefix);
    assert.ok(!list.text.includes(key), "the list does not contain the secret");
    assert.ok(!("key" in listed) && !("key_hash" in listed));

    // Stored as SHA-256 only: no column of the row holds the key.
    const [row] = await t.services.db().query<{ key_hash: string; whole: string }>(
      `SELECT key_hash, row_to_json(k)::text AS whole FROM api_keys k WHERE id = $1`,
      [api_key.id],
    );
    assert.notEqual(row.key_hash, key);
    assert.equal(row.key_hash, await sha256Hex(key));
    assert.ok(!row.whole.includes(key.slice(12)), "the secret part is nowhere in the row");

    // Accepted as Bearer, as the key's role.
    const me = await call(t, "GET", "/api/auth/me", { token: key });
    expectStatus(me, 200);
    assert.equal(me.body.authenticated_by, "api_key");
    assert.equal(me.body.user.id, trader.userId);
    assert.equal(me.body.role, "trader");
    expectStatus(await call(t, "GET", "/api/users", { token: key }), 200);
    expectError(await call(t, "GET", "/api/admin/audit-logs", { token: key }), 403, "forbidden");

    const after = await call(t, "GET", "/api/api-keys", { token });
    const used = after.body.items.find((k: { id: string }) => k.id === api_key.id);
    assert.ok(used.last_used_at, "last_used_at set after use");
    assert.ok(Math.abs(Date.parse(used.last_used_at) - Date.now()) < 60_000);

    // Only through Authorization: Bearer — not as a cookie.
    expectStatus(await call(t, "GET", "/api/auth/me", { headers: { cookie: `ob_at=${key}` } }), 401);
  },
);

Deno.test("API keys: a key's role is no higher than its creator's (403 role_too_high)", opts, async () => {
  const t = await testApp();
  const { members } = await orgWithAllRoles(t, "keyroles");
  // Pinned: who may mint which role (viewers may not manage keys at all).
  const allowed: Record<Exclude<Role, "viewer">, Role[]> = {
    admin: ["admin", "trader", "analyst", "viewer"],
    trader: ["trader", "viewer"],
    analyst: ["analyst", "viewer"],
  };
  for (const [creator, roles] of Object.entries(allowed) as [Exclude<Role, "viewer">, Role[]][]) {
    for (const role of ["admin", "trader", "analyst", "viewer"] as Role[]) {
      const r = await call(t, "POST", "/api/api-keys", {
        token: members[creator].tokens.access_token,
        body: { name: `${creator}→${role}`, role },
      });
      if (roles.includes(role)) {
        expectStatus(r, 201, `${creator} mints ${role}`);
        const me = await call(t, "GET", "/api/auth/me", { token: r.body.key });
        assert.equal(me.body.role, role, `${creator}'s ${role} key acts as ${role}`);
      } else {
        expectError(r, 403, "role_too_high", `${creator} mints ${role}`);
      }
    }
  }
  expectError(
    await call(t, "POST", "/api/api-keys", { token: members.viewer.tokens.access_token, body: { name: "v" } }),
    403,
    "forbidden",
  );
  const keys = await call(t, "GET", "/api/api-keys", { token: members.admin.tokens.access_token });
  assert.ok(!keys.body.items.some((k: { name: string }) => k.name === "trader→admin"), "refused keys were not made");

  // A key cannot mint keys at all (a leaked key could otherwise make a successor that outlives its revocation).
  const traderKey = await call(t, "POST", "/api/api-keys", {
    token: members.admin.tokens.access_token,
    body: { name: "admin's trader key", role: "trader" },
  });
  for (const role of ["admin", "trader", "viewer"]) {
    expectError(
      await call(t, "POST", "/api/api-keys", { token: traderKey.body.key, body: { name: "child", role } }),
      403,
      "api_key_cannot_create_keys",
    );
  }
  // A viewer key of an admin is a viewer: no users list, no key management.
  const viewerKey = await call(t, "POST", "/api/api-keys", {
    token: members.admin.tokens.access_token,
    body: { name: "admin's viewer key", role: "viewer" },
  });
  expectError(await call(t, "GET", "/api/users", { token: viewerKey.body.key }), 403, "forbidden");
  expectError(await call(t, "GET", "/api/api-keys", { token: viewerKey.body.key }), 403, "forbidden");
});

Deno.test("API keys: a demoted creator's keys drop to the creator's new role", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "keydemote");
  const invite = await call(t, "POST", "/api/organizations/current/invitations", {
    token: org.admin.tokens.access_token,
    body: { email: `second-admin-${crypto.randomUUID()}@example.com`, role: "admin" },
  });
  expectStatus(invite, 201);
  const reg = await call(t, "POST", "/api/auth/register", {
    body: {
      email: invite.body.invitation.email,
      password: "granite-Otter-meadow-47!",
      name: "Second",
      invitation_token: invite.body.token,
    },
  });
  expectStatus(reg, 201);
  const key = await call(t, "POST", "/api/api-keys", {
    token: reg.body.access_token,
    body: { name: "admin key", role: "admin" },
  });
  expectStatus(key, 201);
  expectStatus(await call(t, "GET", "/api/admin/audit-logs", { token: key.body.key }), 200, "admin key before");

  expectStatus(
    await call(t, "PUT", `/api/users/${reg.body.user.id}`, {
      token: org.admin.tokens.access_token,
      body: { role: "viewer" },
    }),
    200,
  );
  const me = await call(t, "GET", "/api/auth/me", { token: key.body.key });
  expectStatus(me, 200);
  assert.equal(me.body.role, "viewer");
  expectError(await call(t, "GET", "/api/admin/audit-logs", { token: key.body.key }), 403, "forbidden");
});

Deno.test("API keys: revoked or expired → 401; only the owner or an admin may revoke", opts, async () => {
  const t = await testApp();
  const { members } = await orgWithAllRoles(t, "keyrevoke");
  const make = async (token: string, name: string, extra: Record<string, unknown> = {}) => {
    const r = await call(t, "POST", "/api/api-keys", { token, body: { name, ...extra } });
    expectStatus(r, 201, `create ${name}`);
    return r.body as { key: string; api_key: { id: string; expires_at: string | null } };
  };
  const own = await make(members.trader.tokens.access_token, "own");
  expectStatus(await call(t, "GET", "/api/auth/me", { token: own.key }), 200);
  expectStatus(
    await call(t, "DELETE", `/api/api-keys/${own.api_key.id}`, { token: members.trader.tokens.access_token }),
    204,
  );
  expectError(await call(t, "GET", "/api/auth/me", { token: own.key }), 401, "invalid_token");
  expectError(
    await call(t, "DELETE", `/api/api-keys/${own.api_key.id}`, { token: members.trader.tokens.access_token }),
    404,
    "not_found",
    "revoking twice",
  );
  const list = await call(t, "GET", "/api/api-keys", { token: members.trader.tokens.access_token });
  assert.ok(!list.body.items.some((k: { id: string }) => k.id === own.api_key.id), "revoked keys are not listed");

  // Someone else's key: another non-admin member cannot see or revoke it; an admin can.
  const analystKey = await make(members.analyst.tokens.access_token, "analyst's");
  expectError(
    await call(t, "DELETE", `/api/api-keys/${analystKey.api_key.id}`, { token: members.trader.tokens.access_token }),
    404,
    "not_found",
  );
  expectStatus(await call(t, "GET", "/api/auth/me", { token: analystKey.key }), 200, "still works");
  const adminList = await call(t, "GET", "/api/api-keys", { token: members.admin.tokens.access_token });
  assert.ok(adminList.body.items.some((k: { id: string }) => k.id === analystKey.api_key.id), "admins see all keys");
  expectStatus(
    await call(t, "DELETE", `/api/api-keys/${analystKey.api_key.id}`, { token: members.admin.tokens.access_token }),
    204,
  );
  expectStatus(await call(t, "GET", "/api/auth/me", { token: analystKey.key }), 401);

  // Expiry.
  const short = await make(members.trader.tokens.access_token, "short", { expires_in_days: 1 });
  const ttl = Date.parse(short.api_key.expires_at!) - Date.now();
  assert.ok(ttl > 86_400_000 - 60_000 && ttl <= 86_400_000, `expires in a day: ${short.api_key.expires_at}`);
  expectStatus(await call(t, "GET", "/api/auth/me", { token: short.key }), 200);
  await t.services.db().query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [
    short.api_key.id,
  ]);
  // A write behind the app's back is seen after the principal cache's TTL (like another instance's);
  // forget the cached principal instead of waiting for it.
  t.services.auth.principals.bump();
  expectError(await call(t, "GET", "/api/auth/me", { token: short.key }), 401, "invalid_token");

  // The revocations are audited.
  const log = await call(t, "GET", "/api/admin/audit-logs?action=api_key.revoked", {
    token: members.admin.tokens.access_token,
  });
  const targets = log.body.items.map((e: { target_id: string }) => e.target_id);
  assert.ok(targets.includes(own.api_key.id) && targets.includes(analystKey.api_key.id), JSON.stringify(targets));
});

Deno.test("API keys: after the creator's demotion a key has no permission it did not have before", opts, async () => {
  // Roles are not a ladder (trader and analyst each have a write the other lacks): an analyst key of an
  // admin demoted to trader must not turn into a trader key, which could write bids it never could.
  const t = await testApp();
  const org = await createOrg(t, "keynarrow");
  const second = await call(t, "POST", "/api/organizations/current/invitations", {
    token: org.admin.tokens.access_token,
    body: { email: `narrow-${crypto.randomUUID()}@example.com`, role: "admin" },
  });
  const reg = await call(t, "POST", "/api/auth/register", {
    body: {
      email: second.body.invitation.email,
      password: "granite-Otter-meadow-47!",
      name: "Second",
      invitation_token: second.body.token,
    },
  });
  expectStatus(reg, 201);
  const cases: { key: Role; demotedTo: Role }[] = [
    { key: "analyst", demotedTo: "trader" },
    { key: "trader", demotedTo: "analyst" },
    { key: "admin", demotedTo: "trader" },
    { key: "viewer", demotedTo: "analyst" },
  ];
  for (const c of cases) {
    expectStatus(
      await call(t, "PUT", `/api/users/${reg.body.user.id}`, {
        token: org.admin.tokens.access_token,
        body: { role: "admin" },
      }),
      200,
    );
    const key = await call(t, "POST", "/api/api-keys", {
      token: reg.body.access_token,
      body: { name: `${c.key} key`, role: c.key },
    });
    expectStatus(key, 201);
    const before = (await call(t, "GET", "/api/auth/me", { token: key.body.key })).body.permissions as string[];
    expectStatus(
      await call(t, "PUT", `/api/users/${reg.body.user.id}`, {
        token: org.admin.tokens.access_token,
        body: { role: c.demotedTo },
      }),
      200,
    );
    const member = (await call(t, "GET", "/api/auth/me", { token: reg.body.access_token })).body.permissions;
    const me = await call(t, "GET", "/api/auth/me", { token: key.body.key });
    expectStatus(me, 200);
    const after = me.body.permissions as string[];
    const gained = after.filter((p) => !before.includes(p));
    const aboveMember = after.filter((p) => !member.includes(p));
    assert.deepEqual(gained, [], `${c.key} key of a creator demoted to ${c.demotedTo} gained ${gained}`);
    assert.deepEqual(aboveMember, [], `${c.key} key outranks its ${c.demotedTo} creator: ${aboveMember}`);
    assert.ok(after.includes("self"), "still a usable key");
  }
});
