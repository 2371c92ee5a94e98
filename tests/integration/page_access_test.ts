/**
 * Every page of the `(app)` group, read from the route manifest (so a page added later is covered
 * without touching this file): an anonymous visit is sent to the login page and back, and a member whose
 * role lacks the folder's declared permission gets a 403, for each method the page answers. Only the pages
 * listed in SELF_PAGES may get by with the group's own "self" permission.
 */
import assert from "node:assert/strict";
import type { Hono } from "hono";
import { parseRouteFile, scopeApplies } from "../../framework/route_path.ts";
import type { BuildInfo, Manifest, RouteModule } from "../../framework/types.ts";
import appConfig from "../../fresh.config.ts";
import manifest from "../../fresh.gen.ts";
import { createApp } from "../../server/app.ts";
import { type PagePolicy, permissionFor } from "../../server/pages.ts";
import { can, ROLES } from "../../services/auth/rbac.ts";
import { type Member, opts, orgWithAllRoles } from "../helpers/auth.ts";
import { testApp, uniqueIp } from "../helpers/test_app.ts";

/** The member's own pages: any signed-in member may use them. */
const SELF_PAGES = new Set(["/profile", "/settings", "/notifications"]);

const routes = (manifest as Manifest).routes;

interface AppPage {
  key: string;
  path: string;
  methods: string[];
  /** The policies of the folders above the page, outermost first. */
  policies: PagePolicy[];
}

function policiesOf(mod: RouteModule): PagePolicy[] {
  const h = mod.handler;
  return (Array.isArray(h) ? h : [h]).flatMap((fn) =>
    fn && typeof fn === "function" && "policy" in fn ? [fn.policy as PagePolicy] : []
  );
}

const pages: AppPage[] = Object.entries(routes).flatMap(([key, mod]) => {
  const file = parseRouteFile(key);
  if (!file.pattern || file.dirs[0] !== "(app)") return [];
  const middlewares = Object.entries(routes)
    .map(([k, m]) => ({ file: parseRouteFile(k), mod: m }))
    .filter((m) => m.file.special === "middleware" && scopeApplies(m.file.dirs, file.dirs))
    .sort((a, b) => a.file.dirs.length - b.file.dirs.length);
  const h = mod.handler;
  const methods = typeof h === "function"
    ? ["GET", "POST"]
    : [...new Set([...(mod.default ? ["GET"] : []), ...Object.keys(h ?? {}).filter((m) => m !== "HEAD")])];
  // Parameters get values that exist in no organization: the gate answers before any lookup.
  const path = file.pattern.replace(/:id\b/g, crypto.randomUUID()).replace(/:zone\b/g, "PJM");
  return [{ key, path, methods, policies: middlewares.flatMap((m) => policiesOf(m.mod)) }];
});

/** Pages with islands need a client build to render; this one names a bundle for every island. */
function pageApp(services: Awaited<ReturnType<typeof testApp>>["services"]): Hono {
  const islands: Record<string, string> = {};
  for (const file of Object.keys((manifest as Manifest).islands)) {
    const name = file.replace(/^.*\//, "").replace(/\.tsx?$/, "");
    islands[name] = `/_fresh/islands/${name}-test.js`;
  }
  const build: BuildInfo = {
    sourceHash: "test",
    builtAt: new Date(0).toISOString(),
    css: null,
    boot: "/_fresh/boot-test.js",
    islands,
    files: {},
  };
  return createApp({ services, manifest: manifest as Manifest, build, root: appConfig.root });
}

async function visit(app: Hono, method: string, path: string, member: Member | null) {
  const headers: Record<string, string> = { accept: "text/html" };
  if (member) headers.authorization = `Bearer ${member.tokens.access_token}`;
  if (method === "POST") {
    headers["content-type"] = "application/x-www-form-urlencoded";
    headers.origin = "http://localhost";
  }
  const req = new Request(new URL(path, "http://localhost"), {
    method,
    headers,
    body: method === "POST" ? "" : undefined,
    redirect: "manual",
  });
  const info = { remoteAddr: { transport: "tcp", hostname: uniqueIp(), port: 40000 } } as Deno.ServeHandlerInfo;
  const res = await app.fetch(req, info);
  await res.body?.cancel();
  return { status: res.status, location: res.headers.get("location") };
}

Deno.test("the manifest has the app's pages, each under a declared permission", () => {
  const paths = pages.map((p) => p.path.replace(/[0-9a-f-]{36}/, ":id"));
  for (const expected of ["/bidding", "/bidding/:id", "/market", "/assets", "/admin/users", "/profile", "/settings"]) {
    assert.ok(paths.includes(expected), `${expected} is an (app) page`);
  }
  for (const p of pages) {
    assert.ok(p.policies.length > 0, `${p.key} has no permission declared by a _middleware.ts above it`);
    const own = p.policies[p.policies.length - 1];
    if (!SELF_PAGES.has(p.path)) {
      assert.notEqual(
        own.read,
        "self",
        `${p.key} needs only "self": give its folder a _middleware.ts with requirePermission, or list it in SELF_PAGES`,
      );
    }
  }
});

Deno.test("every (app) page: anonymous → login and back; a role without the permission → 403", opts, async () => {
  const t = await testApp();
  const app = pageApp(t.services);
  const { members } = await orgWithAllRoles(t, "pages");
  for (const p of pages) {
    for (const method of p.methods) {
      const anon = await visit(app, method, p.path, null);
      assert.equal(anon.status, 303, `${method} ${p.path} anonymous`);
      assert.equal(anon.location, `/login?next=${encodeURIComponent(p.path)}`, `${method} ${p.path} anonymous`);
      for (const role of ROLES) {
        // Every policy on the way down must allow the method: the outer ones run first.
        const allowed = p.policies.every((policy) => {
          const needed = permissionFor(policy, method);
          return needed !== null && can(role, needed);
        });
        const r = await visit(app, method, p.path, members[role]);
        if (allowed) {
          const toLogin = r.status === 303 && r.location?.startsWith("/login");
          assert.ok(!toLogin && ![401, 403].includes(r.status), `${method} ${p.path} as ${role}: ${r.status}`);
        } else {
          assert.equal(r.status, 403, `${method} ${p.path} as ${role}`);
        }
      }
    }
  }
});

Deno.test("a page no route matches: 404 with the member's own navigation, not a 'Sign in' link", opts, async () => {
  const t = await testApp();
  const app = pageApp(t.services);
  const { members } = await orgWithAllRoles(t, "notfound");
  const page = async (path: string, member: Member | null) => {
    const headers: Record<string, string> = { accept: "text/html" };
    if (member) headers.cookie = `ob_at=${member.tokens.access_token}`;
    const info = { remoteAddr: { transport: "tcp", hostname: uniqueIp(), port: 40000 } } as Deno.ServeHandlerInfo;
    const res = await app.fetch(new Request(new URL(path, "http://localhost"), { headers }), info);
    return { status: res.status, html: await res.text() };
  };
  for (const path of ["/no-such-page", "/assets/no/such/thing"]) {
    const signedIn = await page(path, members.trader);
    assert.equal(signedIn.status, 404, path);
    assert.match(signedIn.html, /Page not found/);
    assert.ok(signedIn.html.includes(members.trader.name), `${path}: the member's name in the navigation`);
    assert.doesNotMatch(signedIn.html, />Sign in</, `${path}: no sign-in link for a signed-in member`);
    const anonymous = await page(path, null);
    assert.equal(anonymous.status, 404);
    assert.match(anonymous.html, />Sign in</);
  }
  // An API path's 404 stays JSON.
  const api = await app.fetch(new Request("http://localhost/api/no-such-thing"), {
    remoteAddr: { transport: "tcp", hostname: uniqueIp(), port: 40000 },
  } as Deno.ServeHandlerInfo);
  assert.equal(api.status, 404);
  assert.equal((await api.json()).error.code, "not_found");
});
