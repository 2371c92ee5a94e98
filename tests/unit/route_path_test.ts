import assert from "node:assert/strict";
import { compareRoutes, parseRouteFile, scopeApplies, toOpenApiPath } from "../../framework/route_path.ts";

Deno.test("file paths map to URL patterns", () => {
  const cases: [string, string | null, string[]][] = [
    ["./routes/index.tsx", "/", []],
    ["./routes/about.tsx", "/about", []],
    ["./routes/market/index.tsx", "/market", []],
    ["./routes/market/[zone].tsx", "/market/:zone", ["zone"]],
    ["./routes/api/bids/[id]/submit.ts", "/api/bids/:id/submit", ["id"]],
    ["./routes/docs/[...rest].tsx", "/docs/:rest{.+}", ["rest"]],
    ["./routes/(marketing)/pricing.tsx", "/pricing", []],
    ["./routes/(app)/admin/(tools)/[org]/users.tsx", "/admin/:org/users", ["org"]],
    ["./routes/api/openapi.json.ts", "/api/openapi.json", []],
    ["./routes/_app.tsx", null, []],
    ["./routes/admin/_layout.tsx", null, []],
  ];
  for (const [key, pattern, params] of cases) {
    const f = parseRouteFile(key);
    assert.equal(f.pattern, pattern, key);
    assert.deepEqual(f.paramNames, params, key);
  }
  assert.equal(parseRouteFile("./routes/admin/_layout.tsx").special, "layout");
  assert.deepEqual(parseRouteFile("./routes/(app)/admin/_middleware.ts").dirs, ["(app)", "admin"]);
  assert.equal(parseRouteFile("./routes/docs/[...rest].tsx").catchAll, "rest");
});

Deno.test("bad route file names fail loudly", () => {
  assert.throws(() => parseRouteFile("./routes/_weird.tsx"), /Unknown special route file/);
  assert.throws(() => parseRouteFile("./routes/a[b].tsx"), /Unsupported route segment/);
});

Deno.test("static segments win over parameters, parameters over catch-alls", () => {
  const sorted = ["/market/*", "/market/:zone", "/market/new", "/:page", "/", "/market"].sort(compareRoutes);
  assert.deepEqual(sorted, ["/", "/market", "/market/new", "/market/:zone", "/market/*", "/:page"]);
});

Deno.test("OpenAPI paths and scopes", () => {
  assert.equal(toOpenApiPath("/api/bids/:id/submit"), "/api/bids/{id}/submit");
  assert.equal(toOpenApiPath("/docs/:rest{.+}"), "/docs/{rest}");
  assert.ok(scopeApplies([], ["a"]));
  assert.ok(scopeApplies(["(app)"], ["(app)", "admin"]));
  assert.ok(!scopeApplies(["(marketing)"], ["(app)", "admin"]));
});
