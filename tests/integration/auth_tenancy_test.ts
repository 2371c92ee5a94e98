/**
 * Tenant walls: an organization's members, keys, invitations and audit log are
 * invisible and untouchable from another organization (404, nothing of theirs
 * in the body), and no request body can name an organization.
 */
import assert from "node:assert/strict";
import {
  addMember,
  auditLog,
  call,
  type CallResult,
  createOrg,
  expectStatus,
  type Member,
  opts,
  type Org,
  uuidPathOperations,
} from "../helpers/auth.ts";
import { GOOD_PASSWORD, type TestApp, testApp, uniqueEmail } from "../helpers/test_app.ts";

interface World {
  a: Org;
  aTrader: Member;
  b: Org;
  bTrader: Member;
  bKey: { id: string; key: string; prefix: string };
  bInvitation: { id: string; email: string };
}

/** A platform admin of this app: operator-only routes are tried as them (they span tenants by design). */
const OPERATOR = uniqueEmail("tenancy-operator");
const ENV = { PLATFORM_ADMINS: OPERATOR };

type Doc = { paths: Record<string, Record<string, { "x-permission"?: string }>> };
const operatorOnly = (doc: Doc, method: string, path: string) =>
  doc.paths[path]?.[method.toLowerCase()]?.["x-permission"] === "operator";

let world: Promise<World> | undefined;

/** Two organizations, built once for this file. */
function twoOrgs(t: TestApp): Promise<World> {
  world ??= (async () => {
    const [a, b] = await Promise.all([createOrg(t, "tenant-a"), createOrg(t, "tenant-b")]);
    const [aTrader, bTrader] = await Promise.all([
      addMember(t, a, "trader", "a-trader"),
      addMember(t, b, "trader", "b-trader"),
    ]);
    const key = await call(t, "POST", "/api/api-keys", { token: bTrader.tokens.access_token, body: { name: "b bot" } });
    expectStatus(key, 201);
    const email = uniqueEmail("b-invitee");
    const inv = await call(t, "POST", "/api/organizations/current/invitations", {
      token: b.admin.tokens.access_token,
      body: { email, role: "analyst" },
    });
    expectStatus(inv, 201);
    return {
      a,
      aTrader,
      b,
      bTrader,
      bKey: { id: key.body.api_key.id, key: key.body.key, prefix: key.body.api_key.prefix },
      bInvitation: { id: inv.body.invitation.id, email },
    };
  })();
  return world;
}

/** Everything of B's that must never show up in a response to A. */
function secretsOf(w: World): string[] {
  return [
    w.b.id,
    w.b.name,
    w.b.admin.email,
    w.b.admin.name,
    w.bTrader.email,
    w.bTrader.name,
    w.bKey.prefix,
    w.bKey.key,
    w.bInvitation.email,
  ];
}

function assertNoLeak(w: World, r: CallResult, what: string) {
  for (const s of secretsOf(w)) assert.ok(!r.text.includes(s), `${what}: response contains "${s}": ${r.text}`);
}

Deno.test(
  "tenancy: another organization's users, keys and invitations by id → 404, nothing of theirs in the body",
  opts,
  async () => {
    const t = await testApp(ENV);
    const w = await twoOrgs(t);
    const u = w.bTrader.userId;
    const cases: { method: string; path: string; body?: unknown; as: Member }[] = [
      { method: "GET", path: `/api/users/${u}`, as: w.a.admin },
      { method: "GET", path: `/api/users/${u}`, as: w.aTrader },
      { method: "GET", path: `/api/users/${w.b.admin.userId}`, as: w.a.admin },
      { method: "PUT", path: `/api/users/${u}`, body: { role: "viewer" }, as: w.a.admin },
      { method: "PUT", path: `/api/users/${u}`, body: { status: "disabled" }, as: w.a.admin },
      { method: "PUT", path: `/api/users/${u}`, body: { name: "Hijacked" }, as: w.a.admin },
      { method: "PUT", path: `/api/users/${w.b.admin.userId}`, body: { role: "viewer" }, as: w.a.admin },
      { method: "DELETE", path: `/api/users/${u}`, as: w.a.admin },
      { method: "DELETE", path: `/api/users/${w.b.admin.userId}`, as: w.a.admin },
      { method: "DELETE", path: `/api/api-keys/${w.bKey.id}`, as: w.a.admin },
      { method: "DELETE", path: `/api/api-keys/${w.bKey.id}`, as: w.aTrader },
      { method: "DELETE", path: `/api/organizations/current/invitations/${w.bInvitation.id}`, as: w.a.admin },
    ];
    for (const c of cases) {
      const r = await call(t, c.method, c.path, { token: c.as.tokens.access_token, body: c.body });
      const what = `${c.as.role} of A: ${c.method} ${c.path} ${JSON.stringify(c.body ?? "")}`;
      expectStatus(r, 404, what);
      assert.equal(r.body.error.code, "not_found", what);
      assertNoLeak(w, r, what);
    }
    await assertBUntouched(t, w);
  },
);

Deno.test(
  "tenancy: every documented operation with an id, given another organization's ids, finds nothing",
  opts,
  async () => {
    // The same wall for routes added later: every path parameter is tried with each of B's ids.
    const t = await testApp(ENV);
    const w = await twoOrgs(t);
    const doc = await (await t.fetch("/api/openapi.json")).json();
    const ids = [w.bTrader.userId, w.b.admin.userId, w.bKey.id, w.bInvitation.id, w.b.id];
    const ops = uuidPathOperations(doc);
    assert.ok(ops.length >= 5, `operations with ids: ${ops.length}`);
    for (const op of ops) {
      for (const id of ids) {
        const url = op.path.replace(/\{[^}]+\}/g, id);
        const r = await call(t, op.method, url, {
          token: w.a.admin.tokens.access_token,
          body: op.hasBody ? {} : undefined,
        });
        const what = `${op.method} ${url}`;
        // 404, or 400 when the (empty) body is refused first; never a success, never B's data. A route
        // only the platform admin may call (every tenant's, by design) refuses an organization's admin outright.
        const refused = r.status === 404 || r.status === 400 ||
          (r.status === 403 && operatorOnly(doc, op.method, op.path));
        assert.ok(refused, `${what}: ${r.status} ${r.text}`);
        assertNoLeak(w, r, what);
      }
    }
    await assertBUntouched(t, w);
  },
);

Deno.test("tenancy: lists and the audit log show only your own organization", opts, async () => {
  const t = await testApp(ENV);
  const w = await twoOrgs(t);
  const token = w.a.admin.tokens.access_token;
  for (
    const path of [
      "/api/users",
      "/api/api-keys",
      "/api/organizations/current/invitations",
      "/api/organizations/current",
    ]
  ) {
    const r = await call(t, "GET", path, { token });
    expectStatus(r, 200, path);
    assertNoLeak(w, r, path);
    assert.ok(!r.text.includes(w.bTrader.userId) && !r.text.includes(w.bKey.id), `${path} lists B's rows`);
  }
  const own = await call(t, "GET", "/api/users", { token });
  assert.ok(own.body.items.some((m: { id: string }) => m.id === w.aTrader.userId), "A's own members are listed");

  const log = await auditLog(t, w.a.admin, "limit=200");
  expectStatus(log, 200);
  assert.ok(log.body.items.length > 0);
  assertNoLeak(w, log, "audit log");
  const bActors = [w.b.admin.userId, w.bTrader.userId];
  assert.ok(!log.body.items.some((e: { actor_user_id: string }) => bActors.includes(e.actor_user_id)));
  const byB = await auditLog(t, w.a.admin, `actor=${w.b.admin.userId}`);
  expectStatus(byB, 200);
  assert.deepEqual(byB.body.items, [], "filtering by another organization's user finds nothing");
});

const strategyBody = {
  name: "Smuggler",
  asset_id: "0b8a1c7e-0000-4000-8000-000000000001",
  kind: "fixed_curve",
  lead_minutes: 60,
  params: { side: "offer", segments: [{ price: 1, quantity: 1 }] },
};

Deno.test("tenancy: an organization id in any request body → 400 unknown field", opts, async () => {
  const t = await testApp(ENV);
  const w = await twoOrgs(t);
  const a = w.a.admin;
  const doc = await (await t.fetch("/api/openapi.json")).json();
  // Bodies that would be accepted as they are, so the organization field is the only thing wrong.
  const valid: Record<string, Record<string, unknown>> = {
    "POST /api/auth/login": { email: a.email, password: GOOD_PASSWORD },
    "POST /api/auth/register": {
      email: uniqueEmail("orgfield"),
      password: GOOD_PASSWORD,
      name: "N",
      organization_name: "Org Field",
    },
    "POST /api/auth/refresh": { refresh_token: a.tokens.refresh_token },
    "POST /api/auth/logout": {},
    "PUT /api/auth/me": { name: "Renamed" },
    "POST /api/auth/mfa/disable": { password: GOOD_PASSWORD, code: "123456" },
    "POST /api/auth/mfa/verify": { code: "123456" },
    "PUT /api/auth/password": { current_password: GOOD_PASSWORD, new_password: "quartz-Heron-lantern-83?" },
    "PUT /api/organizations/current": { name: "Renamed Org" },
    "POST /api/organizations/current/invitations": { email: uniqueEmail("orgfield-inv"), role: "viewer" },
    "POST /api/api-keys": { name: "smuggled" },
    "PUT /api/users/{id}": { name: "Renamed Member" },
    // A strategy's body is one of its kinds (`kind` says which): the field is unknown to every kind.
    "POST /api/strategies": strategyBody,
    "PUT /api/strategies/{id}": { ...strategyBody, version: 1 },
  };
  const operator = await createOrg(t, "tenancy-ops", { email: OPERATOR });
  let tried = 0;
  type Op = { requestBody?: { content?: Record<string, unknown> } };
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Op>>)) {
    for (const [m, op] of Object.entries(item)) {
      // A CSV body (a settlement statement) has rows, not fields: no organization can ride in it.
      if (!op.requestBody?.content?.["application/json"]) continue;
      const key = `${m.toUpperCase()} ${path}`;
      const url = path.replace(/\{[^}]+\}/g, w.aTrader.userId);
      // Operator-only routes are refused to A before their body is read: they are tried as the operator.
      const token = operatorOnly(doc, m, path) ? operator.admin.tokens.access_token : a.tokens.access_token;
      for (const field of ["org_id", "orgId", "organization_id"]) {
        const r = await call(t, m.toUpperCase(), url, {
          token,
          body: { ...(valid[key] ?? {}), [field]: w.b.id },
        });
        expectStatus(r, 400, `${key} with ${field}`);
        assert.equal(r.body.error.code, "validation_failed");
        assert.ok(
          r.body.error.details.some((d: { path: string; message: string }) =>
            d.path === `body.${field}` && /unknown field/.test(d.message)
          ),
          `${key}: ${field} reported as unknown: ${r.text}`,
        );
        tried++;
      }
    }
  }
  assert.ok(tried >= 3 * Object.keys(valid).length, `tried ${tried}`);

  // Nothing happened: the session is alive (logout, password change refused), nothing was created.
  expectStatus(await call(t, "GET", "/api/auth/me", { token: a.tokens.access_token }), 200);
  const keys = await call(t, "GET", "/api/api-keys", { token: a.tokens.access_token });
  assert.ok(!keys.body.items.some((k: { name: string }) => k.name === "smuggled"));
  const bKeys = await call(t, "GET", "/api/api-keys", { token: w.b.admin.tokens.access_token });
  assert.ok(!bKeys.body.items.some((k: { name: string }) => k.name === "smuggled"));
  // Controls: the same bodies without the field are accepted.
  expectStatus(
    await call(t, "POST", "/api/api-keys", { token: a.tokens.access_token, body: valid["POST /api/api-keys"] }),
    201,
  );
  expectStatus(
    await call(t, "PUT", "/api/auth/me", { token: a.tokens.access_token, body: valid["PUT /api/auth/me"] }),
    200,
  );
  await assertBUntouched(t, w);
});

/** B's members, key and invitation are exactly as B made them. */
async function assertBUntouched(t: TestApp, w: World) {
  const bAdmin = w.b.admin.tokens.access_token;
  const member = await call(t, "GET", `/api/users/${w.bTrader.userId}`, { token: bAdmin });
  expectStatus(member, 200, "B's trader");
  assert.equal(member.body.role, "trader");
  assert.equal(member.body.status, "active");
  assert.equal(member.body.name, w.bTrader.name);
  const admin = await call(t, "GET", `/api/users/${w.b.admin.userId}`, { token: bAdmin });
  assert.equal(admin.body.role, "admin");
  expectStatus(await call(t, "GET", "/api/auth/me", { token: w.bKey.key }), 200, "B's key still works");
  const invs = await call(t, "GET", "/api/organizations/current/invitations", { token: bAdmin });
  assert.ok(invs.body.items.some((i: { id: string }) => i.id === w.bInvitation.id), "B's invitation is pending");
  const org = await call(t, "GET", "/api/organizations/current", { token: bAdmin });
  assert.equal(org.body.name, w.b.name);
}
