/**
 * The real app in this test file: the same services and Hono app as
 * `main.ts`, answered through `app.fetch` with a chosen client address, no
 * socket. One app per configuration is made per test file (each file runs in
 * an isolate of its own) and shared by its tests, which keep apart by using
 * their own organizations, emails and client addresses.
 *
 * Its database is a Postgres database of its own, copied from the run's
 * migrated template (tests/run.ts) in a fraction of a second; PGlite, which
 * costs seconds of CPU to initialise in every file, only when the run has no
 * Postgres (or a test passes DATABASE_URL: "" to ask for it).
 *
 * Tests that use it set `sanitizeResources: false, sanitizeOps: false`: the app
 * outlives a single test on purpose and is closed when the process ends.
 */
import { readableResponse } from "./html.ts";
import type { Hono } from "hono";
import { readBuildInfo } from "../../framework/build.ts";
import { setBuildInfo } from "../../framework/assets.ts";
import type { Manifest } from "../../framework/types.ts";
import appConfig from "../../fresh.config.ts";
import manifest from "../../fresh.gen.ts";
import { loadConfig } from "../../services/config/env.ts";
import { setLogLevel } from "../../services/log/logger.ts";
import { createApp } from "../../server/app.ts";
import { type AppServices, createServices } from "../../services/wiring.ts";
import { freshPostgresUrl, testServices } from "./services.ts";

export interface TestApp {
  services: AppServices;
  app: Hono;
  /** A request to the app as if from `ip` (default 127.0.0.1). Paths are resolved against http://localhost. */
  fetch(path: string, init?: RequestInit & { ip?: string }): Promise<Response>;
  origin: string;
}

const apps = new Map<string, Promise<TestApp>>();

export const TEST_ORIGIN = "http://localhost";

/** `env` adds to the defaults (a database of its own, KV in memory, no optional services). */
export function testApp(env: Record<string, string> = {}): Promise<TestApp> {
  const key = JSON.stringify(env);
  let app = apps.get(key);
  if (!app) {
    app = makeApp(env);
    apps.set(key, app);
  }
  return app;
}

async function makeApp(env: Record<string, string>): Promise<TestApp> {
  const dataDir = await Deno.makeTempDir({ prefix: "optibid-test-app-" });
  if (!("DATABASE_URL" in env) && testServices.postgres && Deno.env.get("TEST_PG_TEMPLATE")) {
    env = { ...env, DATABASE_URL: await freshPostgresUrl("app", { migrated: true }) };
  }
  const config = loadConfig({
    APP_ENV: "test",
    LOG_LEVEL: "error",
    DATA_DIR: dataDir,
    KV_PATH: ":memory:",
    // A fixed secret: tokens minted by tests with the same secret must verify.
    JWT_SECRET: TEST_JWT_SECRET,
    // No background price feed unless a test asks for one.
    MARKET_SOURCE: "off",
    ...env,
  });
  setLogLevel(config.logLevel);
  setBuildInfo(await readBuildInfo(appConfig.root));
  const services = createServices(config);
  await services.start();
  await services.backgroundStarted();
  const app = createApp({ services, manifest: manifest as Manifest, build: null, root: appConfig.root });
  globalThis.addEventListener("unload", () => {
    services.stop().catch(() => {});
  });
  return {
    services,
    app,
    origin: TEST_ORIGIN,
    fetch(path, init = {}) {
      const { ip = "127.0.0.1", ...rest } = init;
      const req = new Request(new URL(path, TEST_ORIGIN), rest);
      const info = { remoteAddr: { transport: "tcp", hostname: ip, port: 40000 } } as Deno.ServeHandlerInfo;
      // Pages as a browser reads them (tests/helpers/html.ts): their non-ASCII text is sent as references.
      return Promise.resolve(app.fetch(req, info)).then(readableResponse);
    },
  };
}

export const TEST_JWT_SECRET = "test-secret-that-is-long-enough-0123456789abcdef";

/** JSON request helpers. */
export function json(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

let counter = 0;
/** A unique, valid email for a test. */
export function uniqueEmail(tag = "user"): string {
  return `${tag}-${Date.now().toString(36)}-${(counter++).toString(36)}@example.com`;
}

/** A password the policy accepts. */
export const GOOD_PASSWORD = "granite-Otter-meadow-47!";

/** A client address of its own for a test, so rate limits do not leak between tests. */
export function uniqueIp(): string {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}
