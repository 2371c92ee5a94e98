/**
 * RBAC against every API operation. The operations come from the app's own
 * OpenAPI document (each non-public operation carries `x-permission`), checked
 * against the route manifest so no /api route can be left out of it: a route
 * added later is in this table without anyone editing the test.
 */
import assert from "node:assert/strict";
import { getApiSpec } from "../../framework/api.ts";
import type { Manifest } from "../../framework/types.ts";
import { parseRouteFile, toOpenApiPath } from "../../framework/route_path.ts";
import manifest from "../../fresh.gen.ts";
import { OPERATOR_PERMISSION } from "../../services/auth/operator.ts";
import { can, isPermission, MATRIX, type Permission, PERMISSIONS, type Role, ROLES } from "../../services/auth/rbac.ts";
import { call, type CallResult, expectStatus, type Member, opts, orgWithAllRoles } from "../helpers/auth.ts";
import { testApp } from "../helpers/test_app.ts";

/** The only operations anyone may call without credentials. Adding one must be a deliberate edit here. */
const PUBLIC_OPERATIONS = new Set([
  "POST /api/auth/login",
  "POST /api/auth/register",
  "POST /api/auth/refresh",
  "GET /api/docs",
  "GET /api/openapi.json",
]);

/**
 * The permission each operation of the auth API needs (the table). Operations not listed here
 * (added later) are still checked below against whatever they declare; these may not drift.
 */
const PINNED: Record<string, Permission | "public"> = {
  "GET /api/admin/audit-logs": "audit:read",
  "GET /api/ws/audit": "audit:read",
  "GET /api/api-keys": "api_keys:manage",
  "POST /api/api-keys": "api_keys:manage",
  "DELETE /api/api-keys/{id}": "api_keys:manage",
  "POST /api/auth/logout": "self",
  "GET /api/auth/me": "self",
  "PUT /api/auth/me": "self",
  "POST /api/auth/mfa/disable": "self",
  "POST /api/auth/mfa/setup": "self",
  "POST /api/auth/mfa/verify": "self",
  "PUT /api/auth/password": "self",
  "GET /api/organizations/current": "org:read",
  "PUT /api/organizations/current": "org:update",
  "GET /api/organizations/current/invitations": "invitations:manage",
  "POST /api/organizations/current/invitations": "invitations:manage",
  "DELETE /api/organizations/current/invitations/{id}": "invitations:manage",
  "GET /api/users": "users:read",
  "GET /api/users/{id}": "users:read",
  "PUT /api/users/{id}": "users:manage",
  "DELETE /api/users/{id}": "users:manage",
  ...Object.fromEntries([...PUBLIC_OPERATIONS].map((k) => [k, "public" as const])),
};

interface Operation {
  method: string;
  /** OpenAPI path, e.g. /api/users/{id}. */
  path: string;
  permission: Permission | "public";
  hasBody: boolean;
}

// deno-lint-ignore no-explicit-any
async function operationsFromOpenApi(): Promise<{ ops: Operation[]; doc: any }> {
  const t = await testApp();
  const r = await t.fetch("/api/openapi.json");
  assert.equal(r.status, 200);
  const doc = await r.json();
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>)) {
    if (!path.startsWith("/api/") && path !== "/api") continue;
    for (const [method, op] of Object.entries(item)) {
      const permission = (op["x-permission"] ?? "public") as Permission | "public";
      ops.push({ method: method.toUpperCase(), path, permission, hasBody: Boolean(op.requestBody) });
    }
  }
  return { ops, doc };
}

/** A concrete URL for an operation: every path parameter gets a random (well-formed, unknown) UUID. */
function concrete(path: string): string {
  return path.replace(/\{[^}]+\}/g, () => crypto.randomUUID());
}

/**
 * A body for roles that pass the permission check: valid JSON that no schema accepts
 * (unknown field), so the handler never runs and nothing (logout, a password change)
 * has side effects; the permission check runs before validation, so it still decides.
 */
const PROBE_BODY = { __rbac_probe__: true };

Deno.test("RBAC: the matrix is the one the issue specifies", () => {
  // Pinned, so a change to rbac.ts that widens a role fails here instead of silently passing below.
  const READ = ["self", "org:read", "market:read", "assets:read", "bids:read"];
  const expected: Record<Role, string[]> = {
    admin: [...PERMISSIONS],
    // Forecasts: analysts and above (issue 14); a viewer sees prices, not the desk's forecasts.
    // Analytics too: analysts and above (issue 16). Price alerts (issue 18): whoever trades or analyses makes them.
    trader: [
      ...READ,
      "users:read",
      "api_keys:manage",
      "assets:write",
      "bids:write",
      "analytics:read",
      "forecast:read",
      "alerts:write",
    ],
    analyst: [
      ...READ,
      "users:read",
      "api_keys:manage",
      "analytics:read",
      "forecast:read",
      "forecast:write",
      "alerts:write",
    ],
    viewer: READ,
  };
  for (const role of ROLES) {
    assert.deepEqual([...MATRIX[role]].sort(), [...expected[role]].sort(), `permissions of ${role}`);
  }
  // Admin-only.
  for (
    const p of [
      "org:update",
      "users:manage",
      "invitations:manage",
      "audit:read",
      "admin:flags",
      "usage:read",
      "models:promote",
      "webhooks:manage",
    ] as const
  ) {
    assert.deepEqual(ROLES.filter((r) => can(r, p)), ["admin"], p);
  }
});

Deno.test("RBAC: every /api route is in the OpenAPI document with the permission it enforces", opts, async () => {
  const { ops } = await operationsFromOpenApi();
  const byKey = new Map(ops.map((o) => [`${o.method} ${o.path}`, o]));

  // Every route file under routes/api is in the manifest (a new file cannot hide from this test)...
  const onDisk: string[] = [];
  const walk = async (dir: URL, rel: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(new URL(`${e.name}/`, dir), `${rel}${e.name}/`);
      else if (/\.(ts|tsx|js|jsx)$/.test(e.name)) onDisk.push(`./routes/api/${rel}${e.name}`);
    }
  };
  await walk(new URL("../../routes/api/", import.meta.url), "");
  const routes = (manifest as Manifest).routes;
  for (const key of onDisk) assert.ok(key in routes, `${key} is not in fresh.gen.ts (run deno task build)`);

  // ...and every one declares its operations with define.api, and each is documented with the same permission.
  let checked = 0;
  for (const [key, mod] of Object.entries(routes)) {
    if (!key.startsWith("./routes/api/")) continue;
    const spec = getApiSpec(mod.handler);
    assert.ok(spec, `${key} has no API declaration (define.api): its permission would be unchecked`);
    const path = toOpenApiPath(parseRouteFile(key).pattern!);
    for (const [method, op] of Object.entries(spec)) {
      if (!op) continue;
      const doc = byKey.get(`${method} ${path}`);
      assert.ok(doc, `${method} ${path} is missing from the OpenAPI document`);
      assert.equal(doc.permission, op.permission, `${method} ${path}: documented vs enforced permission`);
      checked++;
    }
  }
  assert.equal(checked, ops.length, "the document lists exactly the declared operations");

  for (const [key, permission] of Object.entries(PINNED)) {
    assert.equal(byKey.get(key)?.permission, permission, `${key} must need ${permission}`);
  }

  // Public operations are an allow-list; every other permission is one the matrix knows.
  const publicOps = ops.filter((o) => o.permission === "public").map((o) => `${o.method} ${o.path}`).sort();
  assert.deepEqual(publicOps, [...PUBLIC_OPERATIONS].sort(), "public operations");
  for (const o of ops) {
    // "operator": no role grants it (OPERATOR_EMAILS does), so every role is refused below.
    if (o.permission !== "public" && (o.permission as string) !== OPERATOR_PERMISSION) {
      assert.ok(isPermission(o.permission), `${o.method} ${o.path}: ${o.permission}`);
    }
  }
  assert.ok(ops.length >= 20, `expected the auth API's operations, found ${ops.length}`);
});

Deno.test(
  "RBAC: each non-public operation → 401 without credentials, 403 for roles without its permission, through for roles with it",
  opts,
  async () => {
    const t = await testApp();
    const { ops } = await operationsFromOpenApi();
    const guarded = ops.filter((o) => o.permission !== "public");
    assert.ok(guarded.length > 0);
    const { members } = await orgWithAllRoles(t, "rbac");

    // The same roles by API key (a different way to a principal): keys made by the admin, one per role.
    const keys = {} as Record<Role, string>;
    for (const role of ROLES) {
      const r = await call(t, "POST", "/api/api-keys", {
        token: members.admin.tokens.access_token,
        body: { name: `rbac ${role}`, role },
        ip: members.admin.ip,
      });
      expectStatus(r, 201, `create ${role} key`);
      keys[role] = r.body.key;
    }

    const failures: string[] = [];
    const check = (label: string, r: CallResult, ok: (s: number) => boolean, want: string) => {
      if (!ok(r.status)) failures.push(`${label}: want ${want}, got ${r.status} ${r.text.slice(0, 200)}`);
    };
    const send = (o: Operation, token: string | undefined, ip: string) =>
      call(t, o.method, concrete(o.path), { token, body: o.hasBody ? PROBE_BODY : undefined, ip });

    for (const o of guarded) {
      const permission = o.permission as Permission;
      const label = `${o.method} ${o.path} [${permission}]`;
      const anon = await send(o, undefined, "10.250.0.1");
      check(`${label} anonymous`, anon, (s) => s === 401, "401");
      if (anon.status === 401) {
        if (anon.body?.error?.code !== "unauthenticated") failures.push(`${label} anonymous: code ${anon.text}`);
        if (!anon.headers.get("www-authenticate")?.startsWith("Bearer")) {
          failures.push(`${label} anonymous: no WWW-Authenticate: Bearer`);
        }
      }
      const garbage = await send(o, "not-a-token", "10.250.0.1");
      check(`${label} garbage bearer`, garbage, (s) => s === 401, "401");

      for (const role of ROLES) {
        const m: Member = members[role];
        for (const [via, token] of [["bearer", m.tokens.access_token], ["api key", keys[role]]] as const) {
          const r = await send(o, token, m.ip);
          if (can(role, permission)) {
            check(
              `${label} ${role} (${via})`,
              r,
              (s) => s !== 401 && s !== 403 && s < 500,
              "through (not 401/403/5xx)",
            );
          } else {
            check(`${label} ${role} (${via})`, r, (s) => s === 403, "403");
            if (r.status === 403 && r.body?.error?.code !== "forbidden") {
              failures.push(`${label} ${role} (${via}): code ${r.text}`);
            }
          }
        }
      }
    }
    assert.deepEqual(failures, [], `RBAC violations:\n${failures.join("\n")}`);

    // Not vacuous: every role was refused somewhere and let through somewhere.
    for (const role of ROLES.filter((r) => r !== "admin")) {
      assert.ok(guarded.some((o) => !can(role, o.permission as Permission)), `${role} is refused something`);
    }
    for (const role of ROLES) {
      assert.ok(guarded.some((o) => can(role, o.permission as Permission)), `${role} is allowed something`);
    }
    // The credentials were live the whole time (a probe ended no session).
    for (const role of ROLES) {
      const me = await call(t, "GET", "/api/auth/me", {
        token: members[role].tokens.access_token,
        ip: members[role].ip,
      });
      expectStatus(me, 200, `${role} still signed in`);
      assert.equal(me.body.role, role);
    }
  },
);
