/** The real app, booted as `deno task start` boots it, on each backing store and with optional services. */
import assert from "node:assert/strict";
import {
  appDatabaseEnv,
  freshClickhouseUrl,
  freshPostgresUrl,
  freshRedisPrefix,
  serviceTest,
  testServices,
} from "../helpers/services.ts";
import { runAppToExit, spawnApp } from "../helpers/spawn_app.ts";
import { EXIT_CANNOT_START } from "../../server/start.ts";

type Health = { status: string; schemaVersion: number | null; services: { name: string; status: string }[] };

const adminTokens = new Map<string, Promise<string>>();

/** Each service's details are an admin's view of /health: the first call on an app registers one. */
function adminToken(url: string): Promise<string> {
  let token = adminTokens.get(url);
  if (!token) {
    token = (async () => {
      const res = await fetch(`${url}/api/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          email: `boot-${crypto.randomUUID()}@example.com`,
          password: "granite-Otter-meadow-47!",
          name: "Boot Admin",
          organization_name: "Boot Power",
        }),
      });
      const body = await res.json();
      assert.equal(res.status, 201, JSON.stringify(body));
      return body.access_token as string;
    })();
    adminTokens.set(url, token);
  }
  return token;
}

async function health(url: string): Promise<{ code: number; body: Health }> {
  const res = await fetch(`${url}/health`, { headers: { authorization: `Bearer ${await adminToken(url)}` } });
  return { code: res.status, body: await res.json() };
}

function statusOf(h: Health, name: string) {
  return h.services.find((s) => s.name === name)?.status;
}

async function waitFor(url: string, name: string, want: string, timeoutMs = 15_000): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await health(url);
    if (statusOf(body, name) === want) return body;
    if (Date.now() > deadline) throw new Error(`${name} not ${want}: ${JSON.stringify(body.services)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("boots on PGlite with nothing else configured: pages, health, headers, errors", async () => {
  const app = await spawnApp({ MARKET_BACKFILL_DAYS: "1" });
  try {
    await app.waitReady();
    const { code, body } = await health(app.url);
    assert.equal(code, 200);
    assert.equal(body.status, "healthy");
    assert.equal(statusOf(body, "database"), "available");
    assert.equal(statusOf(body, "kv"), "available");
    for (const name of ["redis", "kafka", "clickhouse", "mlflow"]) assert.equal(statusOf(body, name), "disabled");
    assert.ok((body.schemaVersion ?? 0) >= 1);

    for (const path of ["/", "/system-status"]) {
      const res = await fetch(app.url + path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("cache-control"), "no-cache");
      assert.match(res.headers.get("x-request-id") ?? "", /^[\w-]{8,}$/);
      const csp = res.headers.get("content-security-policy") ?? "";
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(res.headers.get("x-frame-options"), "SAMEORIGIN");
      assert.equal(res.headers.get("referrer-policy"), "strict-origin-when-cross-origin");
      const html = await res.text();
      // ASCII only (framework/render.ts asciiHtml): "·" in the title is sent as a reference.
      assert.doesNotMatch(html, /[\u0080-\u{10ffff}]/u, path);
      assert.match(html, /<title>[^<]*&#xb7; OptiBid<\/title>/, path);
      const css = html.match(/href="(\/_fresh\/styles-[0-9a-f]+\.css)"/)?.[1];
      assert.ok(css, "page links the hashed stylesheet");
      const asset = await fetch(app.url + css);
      assert.equal(asset.status, 200);
      assert.equal(asset.headers.get("cache-control"), "public, max-age=31536000, immutable");
      await asset.body?.cancel();
    }

    // An incoming request id is echoed, so logs can be joined across services.
    const traced = await fetch(`${app.url}/health/live`, { headers: { "x-request-id": "abc-123-def" } });
    assert.equal(traced.headers.get("x-request-id"), "abc-123-def");
    await traced.body?.cancel();
    const line = await app.waitForLog((l) => l.msg === "request" && l.requestId === "abc-123-def");
    assert.equal(line.path, "/health/live");
    assert.equal(line.status, 200);

    const missing = await fetch(`${app.url}/api/nothing-here`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: { code: "not_found", message: "Not found" } });
    const page404 = await fetch(`${app.url}/nothing-here`);
    assert.equal(page404.status, 404);
    assert.match(await page404.text(), /Page not found/);

    const big = await fetch(`${app.url}/health`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(2 * 1024 * 1024),
    });
    assert.equal(big.status, 413);
    assert.equal((await big.json()).error.code, "payload_too_large");

    const wrongMethod = await fetch(`${app.url}/health`, { method: "DELETE" });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get("allow"), "GET, HEAD");
    await wrongMethod.body?.cancel();
  } finally {
    assert.equal((await app.stop()).code, 0);
  }
});

Deno.test("every route under /api is in the OpenAPI document, and the reference page loads its bundle", async () => {
  const app = await spawnApp({ MARKET_SOURCE: "off", ...await appDatabaseEnv("openapi") });
  try {
    const doc = await (await fetch(`${app.url}/api/openapi.json`)).json();
    assert.equal(doc.openapi, "3.1.0");
    const manifest = (await import("../../fresh.gen.ts")).default;
    const { parseRouteFile, toOpenApiPath } = await import("../../framework/route_path.ts");
    const apiRoutes = Object.keys(manifest.routes).map(parseRouteFile)
      .filter((f) => f.pattern?.startsWith("/api") || f.pattern?.startsWith("/health"));
    assert.ok(apiRoutes.length >= 5);
    for (const f of apiRoutes) {
      assert.ok(doc.paths[toOpenApiPath(f.pattern!)], `${f.pattern} (${f.key}) is missing from /api/openapi.json`);
    }
    const docs = await fetch(`${app.url}/api/docs`);
    assert.equal(docs.status, 200);
    const html = await docs.text();
    const bundle = html.match(/src="(\/_fresh\/standalone-[0-9a-f]+\.js)"/)?.[1];
    assert.ok(bundle);
    const js = await fetch(app.url + bundle);
    assert.equal(js.status, 200);
    await js.body?.cancel();
    assert.doesNotMatch(html, /<script>(?!<\/script>)/, "no inline scripts");
  } finally {
    await app.stop();
  }
});

Deno.test("a wrong environment variable stops the app with one clear message and exit code 1", async () => {
  // A folder of its own: the embedded database starts opening before the configuration is read.
  const dataDir = await Deno.makeTempDir({ prefix: "optibid-bad-env-" });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "main.ts"],
    cwd: new URL("../../", import.meta.url),
    env: { PORT: "eighty", REDIS_URL: "http://not-redis", LOG_LEVEL: "loud", DATA_DIR: dataDir },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  const err = new TextDecoder().decode(out.stderr);
  assert.match(err, /PORT/);
  assert.match(err, /REDIS_URL: must be a URL starting with redis:\/\/ or rediss:\/\//);
  assert.match(err, /LOG_LEVEL: must be one of debug, info, warn, error/);
  assert.doesNotMatch(err, /^\s+at /m, "no stack trace");
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("the port taken: one clear line, exit code 78, and the data folder it began still starts", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dataDir = await Deno.makeTempDir({ prefix: "optibid-port-taken-" });
  try {
    // A first start: the embedded database initialises its folder while the listen fails.
    const out = await runAppToExit({ PORT: String(taken.addr.port), DATA_DIR: dataDir });
    assert.equal(out.code, EXIT_CANNOT_START, out.stdout + out.stderr);
    const lines = out.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const said = lines.find((l) => l.msg === "cannot start");
    assert.ok(said, out.stdout);
    assert.equal(said.level, "error");
    assert.match(said.error, new RegExp(`127\\.0\\.0\\.1:${taken.addr.port}: the port is in use .*set PORT`));
    assert.doesNotMatch(out.stdout + out.stderr, /^\s+at /m, "no stack trace");
    assert.ok(!lines.some((l) => /unhandled/.test(String(l.msg))), "not an unhandled error");
  } finally {
    taken.close();
  }
  // The folder was left whole (its database finished initialising and was closed) and is free again.
  const app = await spawnApp({ DATA_DIR: dataDir });
  try {
    await app.waitReady();
  } finally {
    await app.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a DATA_DIR it cannot write: not ready, and the log says why (not that another app holds it)", async () => {
  const file = await Deno.makeTempFile({ prefix: "optibid-not-a-folder-" });
  const app = await spawnApp({ DATA_DIR: `${file}/data` });
  try {
    const failed = await app.waitForLog((l) => l.msg === "a required service did not start; still trying it");
    assert.match(String(failed.error), new RegExp(`${file}/data`));
    const ready = await fetch(`${app.url}/health/ready`);
    await ready.body?.cancel();
    assert.equal(ready.status, 503);
    assert.ok(app.logs.some((l) => l.msg === "cannot write to the data folder"), JSON.stringify(app.logs));
    assert.ok(!app.logs.some((l) => l.msg === "data folder in use by another process"));
  } finally {
    await app.stop();
    await Deno.remove(file);
  }
});

// That start-up never awaits an optional service is proved without a clock in degradation_test.ts (start()
// resolves before the adapter has an outcome); bench/startup.ts reports how fast it is. Here: the real app
// comes up and serves with every optional service broken.
Deno.test("optional services unreachable or silent: the app serves and reports them", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of silent) held.push(c);
  })();
  const silentPort = (silent.addr as Deno.NetAddr).port;
  try {
    for (const port of [closedPort, silentPort]) {
      const app = await spawnApp({
        MARKET_SOURCE: "off",
        ...await appDatabaseEnv("optional"),
        REDIS_URL: `redis://127.0.0.1:${port}`,
        KAFKA_BROKERS: `127.0.0.1:${port}`,
        CLICKHOUSE_URL: `http://127.0.0.1:${port}`,
        MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}`,
      });
      try {
        await app.waitReady();
        for (const name of ["redis", "kafka", "clickhouse", "mlflow"]) await waitFor(app.url, name, "unavailable");
        const { code, body } = await health(app.url);
        assert.equal(code, 200);
        assert.equal(body.status, "degraded");
        assert.equal((await fetch(`${app.url}/system-status`)).status, 200);
        const line = await app.waitForLog((l) => l.service === "redis" && l.to === "unavailable");
        assert.ok(line.error, "state change logged with its error");
      } finally {
        await app.stop();
      }
    }
  } finally {
    silent.close();
    for (const c of held) c.close();
    await accepting.catch(() => {});
  }
});

Deno.test("SIGTERM drains and stops cleanly", async () => {
  const app = await spawnApp({ MARKET_SOURCE: "off", ...await appDatabaseEnv("sigterm") });
  await app.waitReady();
  const status = await app.stop();
  assert.equal(status.code, 0);
  assert.ok(app.logs.some((l) => l.msg === "shutting down" && l.reason === "SIGTERM"));
  assert.ok(app.logs.some((l) => l.msg === "stopped"));
});

serviceTest("boots on Postgres (DATABASE_URL)", ["postgres"], async () => {
  // An empty database of its own: the app migrates it at start.
  const app = await spawnApp({ DATABASE_URL: await freshPostgresUrl("boot") });
  try {
    await app.waitReady();
    const { body } = await health(app.url);
    assert.equal(statusOf(body, "database"), "available");
    assert.ok((body.schemaVersion ?? 0) >= 1);
  } finally {
    await app.stop();
  }
});

serviceTest("Redis and ClickHouse report available when configured", ["redis", "clickhouse"], async () => {
  const app = await spawnApp({
    ...await appDatabaseEnv("services"),
    REDIS_URL: testServices.redis!,
    REDIS_KEY_PREFIX: freshRedisPrefix("boot"),
    CLICKHOUSE_URL: await freshClickhouseUrl("boot"),
  });
  try {
    await app.waitReady();
    await waitFor(app.url, "redis", "available");
    const body = await waitFor(app.url, "clickhouse", "available");
    assert.equal(body.status, "healthy");
  } finally {
    await app.stop();
  }
});
