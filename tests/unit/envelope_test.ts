import assert from "node:assert/strict";
import { Hono } from "hono";
import { cspValue, envelope, securityHeaders } from "../../server/envelope.ts";
import { setLogSink } from "../../services/log/logger.ts";

const HEADERS = securityHeaders({ csp: { defaultSrc: ["'self'"], frameAncestors: ["'none'"] }, hsts: null });

function appWith(route: (app: Hono, frame: ReturnType<typeof envelope>) => void) {
  const frame = envelope({ headersFor: () => HEADERS, recorder: null });
  const app = new Hono();
  app.use(frame.middleware);
  route(app, frame);
  return app;
}

function captureLines(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  return { lines, restore: setLogSink((l) => lines.push(l)) };
}

Deno.test("the policy is written as browsers read it", () => {
  assert.equal(
    cspValue({ defaultSrc: ["'self'"], imgSrc: ["'self'", "data:"], styleSrcAttr: ["'unsafe-inline'"] }),
    "default-src 'self'; img-src 'self' data:; style-src-attr 'unsafe-inline'",
  );
});

Deno.test("a response with immutable headers is answered with the envelope's headers, and logged", async () => {
  const app = appWith((a) => a.get("/away", () => Response.redirect("http://localhost/there", 302)));
  const { lines, restore } = captureLines();
  try {
    const res = await app.request("/away", { headers: { "x-request-id": "trace-1" } });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "http://localhost/there");
    assert.equal(res.headers.get("x-request-id"), "trace-1");
    assert.equal(res.headers.get("x-frame-options"), "SAMEORIGIN");
    assert.equal(res.headers.get("content-security-policy"), "default-src 'self'; frame-ancestors 'none'");
    const line = JSON.parse(lines.find((l) => l.includes('"msg":"request"'))!);
    assert.deepEqual([line.requestId, line.path, line.status], ["trace-1", "/away", 302]);
  } finally {
    restore();
  }
});

Deno.test("a page's own headers are replaced by the envelope's, not doubled; a plain page's are appended", async () => {
  const app = appWith((a, frame) => {
    a.get("/own", (c) => {
      const res = new Response("<p>own</p>");
      res.headers.set("x-frame-options", "DENY");
      frame.decorate.document(res, c, true);
      frame.decorate.request(res, c);
      return res;
    });
    a.get("/plain", (c) => {
      const res = new Response("<p>plain</p>");
      frame.decorate.document(res, c, false);
      frame.decorate.request(res, c);
      return res;
    });
  });
  const { restore } = captureLines();
  try {
    for (const path of ["/own", "/plain"]) {
      const res = await app.request(path);
      assert.equal(res.headers.get("x-frame-options"), "SAMEORIGIN", path);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
      assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/, path);
    }
  } finally {
    restore();
  }
});

Deno.test("an incoming request id is kept only when short and plain", async () => {
  const app = appWith((a) => a.get("/", (c) => c.text("ok")));
  const { restore } = captureLines();
  try {
    const idOf = async (id: string) =>
      (await app.request("/", { headers: { "x-request-id": id } })).headers.get("x-request-id");
    assert.equal(await idOf("abc-DEF_12="), "abc-DEF_12=");
    assert.equal(await idOf("a".repeat(64)), "a".repeat(64));
    for (const bad of ["a".repeat(65), "a b", "<script>", "a;b"]) assert.notEqual(await idOf(bad), bad);
  } finally {
    restore();
  }
});
