import assert from "node:assert/strict";
import { configureApi } from "../../framework/api.ts";
import { HttpError } from "../../framework/http_error.ts";
import { buildOpenApi } from "../../framework/openapi.ts";
import { fixtureApp, manifest } from "../helpers/fixture_app.tsx";

configureApi({
  validateResponses: true,
  authorize: (ctx, permission) => {
    const auth = ctx.req.headers.get("authorization");
    if (!auth) throw new HttpError(401);
    if (auth !== `Bearer ${permission}`) throw new HttpError(403);
  },
});
const { app } = fixtureApp();
const call = (path: string, init?: RequestInit) => app.request(`http://x${path}`, init);
const json = (method: string, body: string, headers: Record<string, string> = {}) => ({
  method,
  body,
  headers: { "content-type": "application/json", authorization: "Bearer things:write", ...headers },
});

Deno.test("valid input reaches the handler, parsed", async () => {
  const res = await call("/api/things/42?verbose=true");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { id: 42, verbose: true });
});

Deno.test("invalid params and query: 400 with every field's error", async () => {
  const res = await call("/api/things/abc?verbose=maybe&extra=1");
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.equal(error.code, "validation_failed");
  const paths = error.details.map((d: { path: string }) => d.path).sort();
  assert.deepEqual(paths, ["params.id", "query.extra", "query.verbose"]);
  assert.match(error.details.find((d: { path: string }) => d.path === "query.extra").message, /unknown field "extra"/);
});

Deno.test("bodies: unknown fields rejected, wrong types listed, bad JSON and wrong content type refused", async () => {
  const unknown = await call("/api/things/1", json("PUT", JSON.stringify({ name: "a", size: 1, org_id: "x" })));
  assert.equal(unknown.status, 400);
  assert.equal((await unknown.json()).error.details[0].path, "body.org_id");

  const wrong = await call("/api/things/1", json("PUT", JSON.stringify({ name: "", size: -1 })));
  assert.equal(wrong.status, 400);
  const paths = (await wrong.json()).error.details.map((d: { path: string }) => d.path).sort();
  assert.deepEqual(paths, ["body.name", "body.size"]);

  const bad = await call("/api/things/1", json("PUT", "{nope"));
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.code, "invalid_json");

  const form = await call(
    "/api/things/1",
    json("PUT", "name=a", { "content-type": "application/x-www-form-urlencoded" }),
  );
  assert.equal(form.status, 415);

  const ok = await call("/api/things/1", json("PUT", JSON.stringify({ name: "a", size: 2 })));
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { name: "a" });
});

Deno.test("permissions: 401 without credentials, 403 without the permission", async () => {
  const body = JSON.stringify({ name: "a", size: 2 });
  const none = await call("/api/things/1", { method: "PUT", body, headers: { "content-type": "application/json" } });
  assert.equal(none.status, 401);
  const other = await call("/api/things/1", json("PUT", body, { authorization: "Bearer other" }));
  assert.equal(other.status, 403);
});

Deno.test("a response that breaks its declared schema is caught, not sent", async () => {
  const res = await call("/api/things/1", json("POST", JSON.stringify({ name: "a" })));
  assert.equal(res.status, 500);
  assert.deepEqual(await res.json(), { error: { code: "internal_server_error", message: "Internal server error" } });
});

Deno.test("the OpenAPI document is generated from the same declarations", () => {
  const doc = buildOpenApi(manifest, { title: "t", version: "1" });
  assert.equal(doc.openapi, "3.1.0");
  const item = doc.paths["/api/things/{id}"] as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(item).sort(), ["get", "post", "put"]);
  const params = item.get.parameters as { name: string; in: string; required: boolean }[];
  assert.deepEqual(params.map((p) => [p.name, p.in, p.required]), [["id", "path", true], ["verbose", "query", false]]);
  const body = (item.put.requestBody as { content: Record<string, { schema: Record<string, unknown> }> })
    .content["application/json"].schema;
  assert.deepEqual(body.required, ["name", "size"]);
  assert.equal(body.additionalProperties, false);
  assert.equal(item.put["x-permission"], "things:write");
  assert.ok((item.put.responses as Record<string, unknown>)["403"]);
});

Deno.test("named schemas are components, and every $ref in the document resolves", () => {
  const doc = buildOpenApi(manifest, { title: "t", version: "1" });
  const text = JSON.stringify(doc);
  const refs = [...text.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]);
  assert.ok(refs.length > 0, "the fixture uses the shared Error schema");
  for (const ref of refs) {
    assert.match(ref, /^#\/components\/schemas\//);
    assert.ok((doc.components.schemas as Record<string, unknown>)[ref.split("/").pop()!], `${ref} resolves`);
  }
  assert.doesNotMatch(text, /\$defs/);
});
