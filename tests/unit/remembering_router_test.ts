/**
 * The app's router remembers matches per method and path: every answer must be what Hono's own router gives,
 * however often and in whatever order paths come, and the memo must stay bounded.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Hono } from "hono";
import type { H, RouterRoute } from "hono/types";
import { MEMO_MAX, MEMO_PATH_MAX, RememberingRouter } from "../../server/router.ts";
import { cookieOf, cookieValue } from "../../server/auth_http.ts";
import { parse } from "hono/utils/cookie";

/** Routes of the shapes the app mounts: static, parameters, catch-alls, and middleware on prefixes. */
function mount(app: Hono): Hono {
  app.use("*", async (c, next) => {
    await next();
    c.res.headers.append("x-seen", "root");
  });
  app.use("/api/*", async (c, next) => {
    await next();
    c.res.headers.append("x-seen", "api");
  });
  app.get("/", (c) => c.text("home"));
  app.get("/market/new", (c) => c.text("new"));
  app.get("/market/:zone", (c) => c.text(`zone=${c.req.param("zone")}`));
  app.get("/api/bids/:id", (c) => c.text(`bid=${c.req.param("id")}`));
  app.post("/api/bids/:id/submit", (c) => c.text(`submit=${c.req.param("id")}`));
  app.get("/docs/*", (c) => c.text(`docs ${c.req.path}`));
  app.get("/a/:x/b/:y", (c) => c.text(`${c.req.param("x")}|${c.req.param("y")}`));
  app.get("/a/:x{[0-9]+}", (c) => c.text(`num ${c.req.param("x")}`));
  return app;
}

async function answer(app: Hono, method: string, path: string): Promise<string> {
  const res = await app.request(`http://x${path}`, { method });
  return `${res.status} ${res.headers.get("x-seen")} ${await res.text()}`;
}

Deno.test("the remembering router answers as Hono's own, however often and in whatever order paths come", async () => {
  const plain = mount(new Hono());
  const router = new RememberingRouter<[H, RouterRoute]>();
  const remembering = mount(new Hono({ router }));
  const segment = fc.constantFrom("market", "new", "PJM", "api", "bids", "7", "submit", "docs", "a", "b", "x%20y", "");
  const request = fc.record({
    method: fc.constantFrom("GET", "POST", "HEAD"),
    path: fc.array(segment, { minLength: 0, maxLength: 5 }).map((s) => "/" + s.join("/")),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 30 }), async (requests) => {
      for (const { method, path } of [...requests, ...requests]) {
        assert.equal(await answer(remembering, method, path), await answer(plain, method, path), `${method} ${path}`);
      }
    }),
    { numRuns: 150 },
  );
  assert.ok(router.remembered > 0, "matches were remembered");
});

Deno.test("the router's memo never holds more than MEMO_MAX paths", async () => {
  const router = new RememberingRouter<[H, RouterRoute]>();
  const app = mount(new Hono({ router }));
  for (let i = 0; i < MEMO_MAX * 2 + 10; i++) {
    assert.equal(await answer(app, "GET", `/api/bids/${i}`), `200 api, root bid=${i}`);
    assert.ok(router.remembered <= MEMO_MAX);
  }
  // A long path is matched every time, never remembered.
  const before = router.remembered;
  const long = "x".repeat(MEMO_PATH_MAX);
  assert.equal(await answer(app, "GET", `/api/bids/${long}`), `200 api, root bid=${long}`);
  assert.equal(await answer(app, "GET", `/docs/${long}`), `200 root docs /docs/${long}`);
  // So is a method of the client's own making.
  assert.equal(await answer(app, "X".repeat(500), "/market/PJM"), "404 root 404 Not Found");
  assert.equal(router.remembered, before);
});

Deno.test("cookieOf reads one cookie by its exact name", () => {
  const req = (cookie?: string) => new Request("http://x/", { headers: cookie ? { cookie } : {} });
  assert.equal(cookieOf(req("xob_at=1; ob_at=2; ob_at_old=3"), "ob_at"), "2");
  assert.equal(cookieOf(req("ob_at_old=3"), "ob_at"), undefined);
  assert.equal(cookieOf(req('theme=dark;ob_rt="a%20b"'), "ob_rt"), "a b");
  assert.equal(cookieOf(req("ob_at=first; ob_at=second"), "ob_at"), "first");
  assert.equal(cookieOf(req(), "ob_at"), undefined);
});

Deno.test("cookieValue reads a header as Hono's cookie parser does", () => {
  // Headers made of the characters that matter to a parser: separators, quotes, blanks, escapes, the name.
  const piece = fc.constantFrom(
    "ob_at",
    "ob_rt",
    "ob_at_old",
    "x",
    "=",
    ";",
    " ",
    "\t",
    '"',
    "%20",
    "%E0%A4%A",
    "a",
    "é",
    ",",
    "\\",
  );
  const header = fc.array(piece, { maxLength: 24 }).map((p) => p.join(""));
  fc.assert(
    fc.property(header, fc.constantFrom("ob_at", "ob_rt", "x"), (h, name) => {
      assert.equal(cookieValue(h, name), parse(h, name)[name]);
    }),
    { numRuns: 5000 },
  );
  assert.equal(cookieValue(' ob_at = " tok%20en " ; ob_at=2', "ob_at"), " tok en ");
  for (
    const h of ['ob_at="', 'ob_at=""', "ob_at=", "ob_at", "ob_at=a=b", "=ob_at", "ob_at=%zz;ob_at=2", "ob_at=é;ob_at=3"]
  ) {
    assert.equal(cookieValue(h, "ob_at"), parse(h, "ob_at").ob_at, h);
  }
  // Many pairs without a value before the one asked for (read in one pass).
  const many = "ob_at" + ";".repeat(100_000) + " ob_at = tok";
  assert.equal(cookieValue(many, "ob_at"), "tok");
  assert.equal(cookieValue("ob_at" + ";".repeat(100_000), "ob_at"), undefined);
});
