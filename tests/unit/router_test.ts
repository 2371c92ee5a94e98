import assert from "node:assert/strict";
import { fixtureApp, renders } from "../helpers/fixture_app.tsx";

const { app } = fixtureApp();
const get = (path: string, init?: RequestInit) => app.request(`http://x${path}`, init);

Deno.test("a page renders inside _app", async () => {
  const res = await get("/");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "no-cache");
  const html = await res.text();
  assert.ok(html.startsWith("<!DOCTYPE html><html>"));
  assert.match(html, /<div id="app"><h1>home<\/h1><\/div>/);
});

Deno.test("dynamic segments, layouts and page headers", async () => {
  const res = await get("/market/PJM");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-zone"), "PJM");
  assert.match(await res.text(), /<section id="market-layout"><h1 id="zone">PJM<\/h1><\/section>/);
});

Deno.test("a static route wins over a parameter", async () => {
  assert.match(await (await get("/market/new")).text(), /id="new"/);
});

Deno.test("catch-all routes receive the rest of the path", async () => {
  assert.equal(await (await get("/docs/a/b/c")).text(), "rest=a/b/c");
});

Deno.test("route groups add no URL segment and scope their layout", async () => {
  assert.match(await (await get("/pricing")).text(), /<div id="marketing"><h1 id="pricing">/);
  assert.doesNotMatch(await (await get("/market/PJM")).text(), /marketing/);
});

Deno.test("middleware runs outermost first, and after-work in reverse", async () => {
  const res = await get("/market/PJM");
  assert.equal(res.headers.get("x-after-market"), "root>market");
  assert.equal(res.headers.get("x-after-root"), "root>market");
  const home = await get("/");
  assert.equal(home.headers.get("x-after-root"), "root");
  assert.equal(home.headers.get("x-after-market"), null);
});

Deno.test("unknown pages get the 404 page, unknown API paths a JSON 404", async () => {
  const page = await get("/nope");
  assert.equal(page.status, 404);
  assert.match(await page.text(), /<p id="nf">missing \/nope<\/p>/);
  const api = await get("/api/nope");
  assert.equal(api.status, 404);
  assert.deepEqual(await api.json(), { error: { code: "not_found", message: "Not found" } });
});

Deno.test("a method a route does not handle is 405 with Allow", async () => {
  const res = await get("/market/PJM", { method: "DELETE" });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "GET, POST, HEAD");
  const page = await get("/pricing", { method: "POST" });
  assert.equal(page.status, 405);
  assert.equal(page.headers.get("allow"), "GET, HEAD");
  const post = await get("/market/PJM", { method: "POST" });
  assert.equal(post.status, 201);
  assert.equal(await post.text(), "posted PJM");
});

Deno.test("HEAD is answered like GET without a body", async () => {
  const res = await get("/market/PJM", { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "");
});

Deno.test("HttpError sets the status; unexpected errors never reach the client", async () => {
  const errors: unknown[] = [];
  const { app } = fixtureApp(errors);
  const tea = await app.request("http://x/teapot");
  assert.equal(tea.status, 418);
  assert.match(await tea.text(), /<p id="err">418<\/p>/);
  const crash = await app.request("http://x/crash");
  assert.equal(crash.status, 500);
  const body = await crash.text();
  assert.doesNotMatch(body, /secret internal detail|at .*\.tsx?:\d+/);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /secret internal detail/);
});

Deno.test("async page components and pages without _app", async () => {
  assert.match(await (await get("/async")).text(), /<h1 id="async">async page<\/h1>/);
  assert.equal(await (await get("/plain")).text(), '<h1 id="plain">plain</h1>');
});

Deno.test("a cached page answers with its document headers and a request's own, body and all, HEAD too", async () => {
  let n = 0;
  const decorated = fixtureApp([], {
    document: (res) => res.headers.append("x-document", "same"),
    request: (res) => res.headers.append("x-request", String(++n)),
  }).app;
  const before = renders.count;
  const seen: Response[] = [];
  for (let i = 0; i < 3; i++) seen.push(await decorated.request("/cached/decorated"));
  assert.equal(renders.count - before, 1);
  for (const [i, res] of seen.entries()) {
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<p id="cached">decorated<\/p>/);
    assert.equal(res.headers.get("x-document"), "same");
    assert.equal(res.headers.get("x-request"), String(i + 1), "each response its own, never the first's");
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "no-cache");
  }
  const head = await decorated.request("/cached/decorated", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
  assert.equal(head.headers.get("x-document"), "same");
  assert.equal(head.headers.get("x-request"), "4");
  // A HEAD first keeps the page's HTML but no response to clone; the GET after it is whole.
  const headFirst = await decorated.request("/cached/head-first", { method: "HEAD" });
  assert.equal(await headFirst.text(), "");
  const get = await decorated.request("/cached/head-first");
  assert.match(await get.text(), /<p id="cached">head-first<\/p>/);
  assert.equal(get.headers.get("x-document"), "same");
  assert.equal(renders.count - before, 2);
});

Deno.test("pages with a cache key render once per key", async () => {
  const before = renders.count;
  for (let i = 0; i < 3; i++) assert.match(await (await get("/cached/a")).text(), /<p id="cached">a<\/p>/);
  assert.equal(renders.count - before, 1);
  assert.match(await (await get("/cached/b")).text(), /<p id="cached">b<\/p>/);
  assert.equal(renders.count - before, 2);
});
