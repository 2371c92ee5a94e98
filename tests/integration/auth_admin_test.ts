/**
 * Organization administration: the last admin is kept, role changes and other
 * member changes are audited, the audit log filters and pages, invitations,
 * and the API edge (415, 413, malformed ids → 400, never 500).
 */
import assert from "node:assert/strict";
import {
  addMember,
  auditLog,
  call,
  createOrg,
  expectError,
  expectStatus,
  type Member,
  newSession,
  opts,
  type Org,
  uuidPathOperations,
} from "../helpers/auth.ts";
import { GOOD_PASSWORD, TEST_ORIGIN, type TestApp, testApp, uniqueEmail } from "../helpers/test_app.ts";

const put = (t: TestApp, by: Member, userId: string, body: unknown) =>
  call(t, "PUT", `/api/users/${userId}`, { token: by.tokens.access_token, body, ip: by.ip });
const del = (t: TestApp, by: Member, userId: string) =>
  call(t, "DELETE", `/api/users/${userId}`, { token: by.tokens.access_token, ip: by.ip });

async function roleOf(t: TestApp, org: Org, userId: string): Promise<{ role: string; status: string }> {
  const tokens = await newSession(t, org.admin);
  const r = await call(t, "GET", `/api/users/${userId}`, { token: tokens.access_token });
  expectStatus(r, 200);
  return { role: r.body.role, status: r.body.status };
}

Deno.test("admin: the last active admin cannot be demoted, disabled or removed (409)", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "lastadmin");
  const a = org.admin;
  for (const role of ["trader", "analyst", "viewer"]) {
    expectError(await put(t, a, a.userId, { role }), 409, "last_admin", `demote to ${role}`);
  }
  expectError(await put(t, a, a.userId, { status: "disabled" }), 409, "last_admin", "disable");
  expectError(await put(t, a, a.userId, { role: "admin", status: "disabled" }), 409, "last_admin");
  expectError(await del(t, a, a.userId), 409, "last_admin", "remove");
  assert.deepEqual(await roleOf(t, org, a.userId), { role: "admin", status: "active" });
  // Harmless edits of the last admin still work.
  expectStatus(await put(t, a, a.userId, { name: "Still Admin" }), 200);

  // With a second admin, the first can step down; then the second is the last one.
  const b = await addMember(t, org, "admin", "second-admin");
  const stepDown = await put(t, b, a.userId, { role: "viewer" });
  expectStatus(stepDown, 200);
  assert.equal(stepDown.body.role, "viewer");
  expectError(await put(t, b, b.userId, { role: "trader" }), 409, "last_admin");
  expectError(await del(t, b, b.userId), 409, "last_admin");

  // A disabled admin does not count as the other admin.
  const c = await addMember(t, { ...org, admin: b }, "admin", "third-admin");
  expectStatus(await put(t, b, c.userId, { status: "disabled" }), 200);
  expectError(await put(t, b, b.userId, { role: "viewer" }), 409, "last_admin", "only a disabled admin besides");
  expectError(await put(t, b, b.userId, { status: "disabled" }), 409, "last_admin");
  assert.deepEqual(await roleOf(t, { ...org, admin: b }, b.userId), { role: "admin", status: "active" });
});

Deno.test("admin: two admins demoting each other at once leave one admin", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "adminrace");
  const b = await addMember(t, org, "admin", "race-admin");
  const [x, y] = await Promise.all([
    put(t, org.admin, b.userId, { role: "viewer" }),
    put(t, b, org.admin.userId, { role: "viewer" }),
  ]);
  // One wins; the other is refused, as the last admin (409) or, if it lost the race, as a viewer (403).
  const statuses = [x.status, y.status].sort();
  assert.ok(statuses[0] === 200 && [403, 409].includes(statuses[1]), `${x.text} / ${y.text}`);
  const admin = x.status === 200 ? org.admin : b;
  const r = await call(t, "GET", "/api/users", { token: (await newSession(t, admin)).access_token });
  const admins = r.body.items.filter((m: { role: string; status: string }) =>
    m.role === "admin" && m.status === "active"
  );
  assert.equal(admins.length, 1);
});

Deno.test("admin: role changes, disabling and removal are audited with who, whom and what", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "auditrole");
  const m = await addMember(t, org, "trader");
  expectStatus(await put(t, org.admin, m.userId, { role: "analyst" }), 200);
  expectStatus(await put(t, org.admin, m.userId, { role: "analyst" }), 200); // no change: no entry
  expectStatus(await put(t, org.admin, m.userId, { status: "disabled" }), 200);
  expectStatus(await del(t, org.admin, m.userId), 204);

  const log = await auditLog(t, org.admin, `actor=${org.admin.userId}&action=member.role_changed`);
  expectStatus(log, 200);
  assert.equal(log.body.items.length, 1);
  const e = log.body.items[0];
  assert.equal(e.actor_user_id, org.admin.userId);
  assert.equal(e.actor_email, org.admin.email);
  assert.equal(e.target_type, "user");
  assert.equal(e.target_id, m.userId);
  assert.deepEqual(e.details, { from: "trader", to: "analyst" });
  assert.equal(e.ip, org.admin.ip, "the admin's address");
  for (const action of ["member.disabled", "member.removed"]) {
    const r = await auditLog(t, org.admin, `action=${action}`);
    assert.deepEqual(r.body.items.map((x: { target_id: string }) => x.target_id), [m.userId], action);
  }
});

Deno.test("admin: audit log filters (actor, action, auth.*, from/to) and cursor pagination", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "auditq");
  const trader = await addMember(t, org, "trader");
  const viewer = await addMember(t, org, "viewer");
  for (let i = 0; i < 3; i++) await newSession(t, trader);
  await call(t, "POST", "/api/auth/login", { body: { email: viewer.email, password: "not-the-Password-1" } });
  await put(t, org.admin, viewer.userId, { role: "analyst" });

  const all = await auditLog(t, org.admin, "limit=200");
  expectStatus(all, 200);
  type Entry = { id: string; action: string; actor_user_id: string | null; created_at: string };
  const items = all.body.items as Entry[];
  assert.ok(items.length >= 10, `entries: ${items.length}`);
  assert.equal(all.body.next_cursor, null);
  // Newest first.
  for (let i = 1; i < items.length; i++) assert.ok(BigInt(items[i - 1].id) > BigInt(items[i].id));

  const byTrader = await auditLog(t, org.admin, `actor=${trader.userId}&limit=200`);
  assert.ok(byTrader.body.items.length >= 4, "trader's register and 3 logins");
  assert.ok(byTrader.body.items.every((e: Entry) => e.actor_user_id === trader.userId));
  assert.deepEqual(
    byTrader.body.items.map((e: Entry) => e.id),
    items.filter((e) => e.actor_user_id === trader.userId).map((e) => e.id),
  );

  const logins = await auditLog(t, org.admin, "action=auth.login&limit=200");
  assert.equal(logins.body.items.filter((e: Entry) => e.actor_user_id === trader.userId).length, 3);
  assert.ok(logins.body.items.every((e: Entry) => e.action === "auth.login"), "exact action");

  const authFamily = await auditLog(t, org.admin, "action=auth.*&limit=200");
  const actions = new Set(authFamily.body.items.map((e: Entry) => e.action));
  for (const a of ["auth.register", "auth.login", "auth.login_failed"]) assert.ok(actions.has(a), `${a} in auth.*`);
  assert.ok([...actions].every((a) => (a as string).startsWith("auth.")), [...actions].join());
  assert.deepEqual(
    authFamily.body.items.map((e: Entry) => e.id),
    items.filter((e) => e.action.startsWith("auth.")).map((e) => e.id),
    "auth.* is exactly the auth entries",
  );
  // "x.*" is a prefix match on "x.", not a LIKE pattern the caller controls: "_" is a character.
  const underscore = await auditLog(t, org.admin, "action=a_th.*");
  expectStatus(underscore, 200);
  assert.deepEqual(underscore.body.items, [], "no action starts with a_th.");
  const loginFamily = await auditLog(t, org.admin, "action=auth.login_failed.*");
  assert.deepEqual(loginFamily.body.items, []);

  // Time range: from is inclusive, to exclusive; both together make a window.
  const times = [...new Set(items.map((e) => e.created_at))].sort();
  assert.ok(times.length >= 3, "entries at several instants");
  const mid = times[Math.floor(times.length / 2)];
  const from = await auditLog(t, org.admin, `from=${encodeURIComponent(mid)}&limit=200`);
  assert.deepEqual(
    from.body.items.map((e: Entry) => e.id),
    items.filter((e) => e.created_at >= mid).map((e) => e.id),
  );
  const to = await auditLog(t, org.admin, `to=${encodeURIComponent(mid)}&limit=200`);
  assert.deepEqual(to.body.items.map((e: Entry) => e.id), items.filter((e) => e.created_at < mid).map((e) => e.id));
  const window = await auditLog(t, org.admin, `from=${encodeURIComponent(times[0])}&to=${encodeURIComponent(mid)}`);
  assert.ok(window.body.items.length >= 1 && window.body.items.length < items.length);
  // An offset other than Z is understood.
  const plusTwo = new Date(Date.parse(mid)).toISOString().replace("Z", "+00:00");
  assert.equal(
    (await auditLog(t, org.admin, `from=${encodeURIComponent(plusTwo)}&limit=200`)).body.items.length,
    from.body.items.length,
  );

  // Cursor pagination walks the same entries, each once, in order.
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r = await auditLog(t, org.admin, `limit=3${cursor ? `&cursor=${cursor}` : ""}`);
    expectStatus(r, 200);
    assert.ok(r.body.items.length <= 3);
    seen.push(...r.body.items.map((e: Entry) => e.id));
    cursor = r.body.next_cursor;
    if (cursor) assert.equal(cursor, r.body.items.at(-1).id);
    pages++;
  } while (cursor && pages < 100);
  assert.deepEqual(seen, items.map((e) => e.id));
  assert.equal(pages, Math.ceil(items.length / 3), "a full last page has no next_cursor");
  const exact = await auditLog(t, org.admin, `limit=${items.length}`);
  assert.equal(exact.body.items.length, items.length);
  assert.equal(exact.body.next_cursor, null, "a page that ends exactly at the last entry has no next_cursor");
  const short = await auditLog(t, org.admin, `limit=${items.length - 1}`);
  assert.equal(short.body.next_cursor, items.at(-2)!.id);
  const rest = await auditLog(t, org.admin, `limit=${items.length - 1}&cursor=${short.body.next_cursor}`);
  assert.deepEqual(rest.body.items.map((e: Entry) => e.id), [items.at(-1)!.id]);
  assert.equal(rest.body.next_cursor, null);
  // Filters and paging together.
  const page1 = await auditLog(t, org.admin, "action=auth.*&limit=2");
  const page2 = await auditLog(t, org.admin, `action=auth.*&limit=2&cursor=${page1.body.next_cursor}`);
  assert.deepEqual(
    [...page1.body.items, ...page2.body.items].map((e: Entry) => e.id),
    authFamily.body.items.slice(0, 4).map((e: Entry) => e.id),
  );

  // Bad filters are 400s with the field named, not 500s.
  for (
    const q of [
      "actor=not-a-uuid",
      "action=DROP%20TABLE",
      "action=auth.%25",
      "from=yesterday",
      "to=2026-13-45T00:00:00Z",
      "cursor=abc",
      "cursor=-1",
      "cursor=99999999999999999999",
      "limit=0",
      "limit=201",
      "limit=ten",
      "nonsense=1",
    ]
  ) {
    const r = await auditLog(t, org.admin, q);
    expectError(r, 400, "validation_failed", q);
    assert.ok(r.body.error.details.some((d: { path: string }) => d.path.startsWith("query.")), `${q}: ${r.text}`);
  }
});

Deno.test(
  "admin: invitations are single-use, bound to their email, revocable and expiring",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "invites");
    const invite = async (email: string, role = "analyst") => {
      const r = await call(t, "POST", "/api/organizations/current/invitations", {
        token: org.admin.tokens.access_token,
        body: { email, role },
      });
      expectStatus(r, 201, "invite");
      assert.ok(r.body.accept_url.includes(encodeURIComponent(r.body.token)));
      return r.body as { token: string; invitation: { id: string; email: string; role: string } };
    };
    const register = (email: string, token: string) =>
      call(t, "POST", "/api/auth/register", {
        body: { email, password: GOOD_PASSWORD, name: "Invitee", invitation_token: token },
      });

    const email = uniqueEmail("invitee");
    const inv = await invite(email);
    expectError(await register(uniqueEmail("someone-else"), inv.token), 400, "invitation_email_mismatch");
    const ok = await register(email.toUpperCase(), inv.token);
    expectStatus(ok, 201, "accepted (email case does not matter)");
    assert.equal(ok.body.role, "analyst");
    assert.equal(ok.body.organization.id, org.id);
    expectError(await register(uniqueEmail("again"), inv.token), 400, "invalid_invitation", "used twice");
    const pending = await call(t, "GET", "/api/organizations/current/invitations", {
      token: org.admin.tokens.access_token,
    });
    assert.ok(!pending.body.items.some((i: { id: string }) => i.id === inv.invitation.id), "accepted: not pending");

    // Already a member.
    expectError(
      await call(t, "POST", "/api/organizations/current/invitations", {
        token: org.admin.tokens.access_token,
        body: { email, role: "viewer" },
      }),
      409,
      "already_member",
    );

    const revokedEmail = uniqueEmail("revoked");
    const revoked = await invite(revokedEmail, "trader");
    expectStatus(
      await call(t, "DELETE", `/api/organizations/current/invitations/${revoked.invitation.id}`, {
        token: org.admin.tokens.access_token,
      }),
      204,
    );
    expectError(await register(revokedEmail, revoked.token), 400, "invalid_invitation", "revoked");
    expectError(
      await call(t, "DELETE", `/api/organizations/current/invitations/${revoked.invitation.id}`, {
        token: org.admin.tokens.access_token,
      }),
      404,
      "not_found",
      "revoked twice",
    );

    const expiredEmail = uniqueEmail("expired");
    const expired = await invite(expiredEmail);
    await t.services.db().query(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      expired.invitation.id,
    ]);
    expectError(await register(expiredEmail, expired.token), 400, "invalid_invitation", "expired");
    expectError(await register(uniqueEmail("forged"), "obi_" + "A".repeat(43)), 400, "invalid_invitation", "forged");

    // The invitation audit trail.
    const log = await auditLog(t, org.admin, "action=invitation.created&limit=200");
    assert.equal(log.body.items.length, 3);
    const accepted = await auditLog(t, org.admin, "action=invitation.accepted");
    assert.deepEqual(accepted.body.items.map((e: { target_id: string }) => e.target_id), [inv.invitation.id]);
  },
);

Deno.test("API edge: wrong Content-Type → 415", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "edge415");
  const token = org.admin.tokens.access_token;
  const body = JSON.stringify({ name: "X" });
  for (const type of ["application/xml", "application/octet-stream", "text/html", "application/jsonp"]) {
    expectError(
      await call(t, "PUT", "/api/auth/me", { token, body, headers: { "content-type": type } }),
      415,
      "unsupported_media_type",
      type,
    );
  }
  // Form-like types are refused too (with our Origin, so that the CSRF check is not what refuses them).
  for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
    expectError(
      await call(t, "PUT", "/api/auth/me", { token, body, headers: { "content-type": type, origin: TEST_ORIGIN } }),
      415,
      "unsupported_media_type",
      type,
    );
  }
  // No Content-Type with a body.
  const res = await t.fetch("/api/auth/login", {
    method: "POST",
    body: new TextEncoder().encode(JSON.stringify({ email: org.admin.email, password: GOOD_PASSWORD })),
  });
  assert.equal(res.status, 415, await res.text());
  // Controls: JSON, with a charset, and a +json type, are accepted.
  for (const type of ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"]) {
    expectStatus(await call(t, "PUT", "/api/auth/me", { token, body, headers: { "content-type": type } }), 200, type);
  }
  // Not JSON although it says so.
  expectError(
    await call(t, "PUT", "/api/auth/me", { token, body: "{name:", headers: { "content-type": "application/json" } }),
    400,
    "invalid_json",
  );
});

Deno.test("API edge: a body over BODY_LIMIT_BYTES → 413, with or without Content-Length", opts, async () => {
  const t = await testApp();
  const limit = t.services.config.bodyLimitBytes;
  assert.equal(limit, 1024 * 1024, "the default");
  const org = await createOrg(t, "edge413");
  const big = JSON.stringify({ email: "a@example.com", password: "x".repeat(limit) });
  const cases: [string, RequestInit][] = [
    ["string body", { method: "POST", headers: { "content-type": "application/json" }, body: big }],
    [
      "with Content-Length",
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(new TextEncoder().encode(big).length) },
        body: big,
      },
    ],
    [
      "streamed, no Content-Length",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new Blob([big]).stream(),
      },
    ],
  ];
  for (const [name, init] of cases) {
    for (const path of ["/api/auth/login", "/api/auth/me"]) {
      const headers = new Headers(init.headers);
      if (path === "/api/auth/me") headers.set("authorization", `Bearer ${org.admin.tokens.access_token}`);
      const body = init.body instanceof ReadableStream ? new Blob([big]).stream() : init.body;
      const res = await t.fetch(path, { ...init, method: path === "/api/auth/me" ? "PUT" : "POST", headers, body });
      const text = await res.text();
      assert.equal(res.status, 413, `${name} ${path}: ${res.status} ${text.slice(0, 200)}`);
      assert.equal(JSON.parse(text).error.code, "payload_too_large");
    }
  }
  // Just under the limit is read (and judged on its content).
  const under = JSON.stringify({ name: "y".repeat(limit - 100) });
  const r = await call(t, "PUT", "/api/auth/me", { token: org.admin.tokens.access_token, body: under });
  expectError(r, 400, "validation_failed", "under the limit");
});

Deno.test("API edge: a malformed id in the path → 400 validation_failed, never 500", opts, async () => {
  // The caller is also a platform admin, so the operator-only routes get as far as their parameters too.
  const email = uniqueEmail("edgeuuid-admin");
  const t = await testApp({ PLATFORM_ADMINS: email });
  const org = await createOrg(t, "edgeuuid", { email });
  const doc = await (await t.fetch("/api/openapi.json")).json();
  const bad = [
    "not-a-uuid",
    "1",
    "00000000-0000-0000-0000-00000000000g",
    "00000000000000000000000000000000",
    encodeURIComponent("' OR '1'='1"),
    encodeURIComponent("7c9e6679-7425-40de-944b-e07fc1f90ae7 "),
    "%00",
    "x".repeat(300),
  ];
  // Every documented operation with a UUID path parameter, so routes added later are covered.
  const ops = uuidPathOperations(doc);
  assert.ok(ops.length >= 5, `operations with ids: ${ops.length}`);
  for (const op of ops) {
    for (const id of bad) {
      const url = op.path.replace(/\{[^}]+\}/g, id);
      const r = await call(t, op.method, url, {
        token: org.admin.tokens.access_token,
        body: op.hasBody ? { name: "X" } : undefined,
      });
      expectError(r, 400, "validation_failed", `${op.method} ${url}`);
      assert.ok(r.body.error.details.some((d: { path: string }) => d.path.startsWith("params.")), r.text);
    }
  }
  // Well-formed but unknown: 404, not 400 or 500.
  expectError(
    await call(t, "GET", `/api/users/${crypto.randomUUID()}`, { token: org.admin.tokens.access_token }),
    404,
    "not_found",
  );
});
