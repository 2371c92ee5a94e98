/** Starts the whole app for `main.ts` and for tests and benchmarks that boot it in-process. */
import { readBuildInfo, sourceHash } from "../framework/build.ts";
import { setBuildInfo } from "../framework/assets.ts";
import type { BuildInfo, Manifest } from "../framework/types.ts";
import type { Hono } from "hono";
import appConfig from "../fresh.config.ts";
import type { Config } from "../services/config/env.ts";
import { flushLogs, log } from "../services/log/logger.ts";
import { createApp } from "./app.ts";
import { createServices } from "../services/wiring.ts";
import { REQUEST_DATABASE_BUDGET_MS, withDeadline } from "../services/adapters/deadline.ts";
import {
  claimDataDir,
  DataDirInUseError,
  releaseDataDir,
  updateDataDirClaim,
} from "../services/adapters/data_dir_lock.ts";

/**
 * After a shutdown signal the listener stays open (responses say `Connection: close`) at least this long,
 * and then until requests have stopped coming for QUIET_MS with none in flight — a request accepted by the
 * kernel but not yet read when the listener closes is cut off, and on a busy server that can be any of the
 * last ones — but never past a quarter of SHUTDOWN_TIMEOUT_MS.
 */
const ACCEPT_AFTER_SIGNAL_MS = 500;
const QUIET_MS = 250;

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The response with `Connection: close` (a copy when its headers are immutable); a WebSocket's 101 as it is. */
function closingConnection(res: Response): Response {
  if (res.status === 101) return res;
  try {
    res.headers.set("Connection", "close");
    return res;
  } catch {
    const headers = new Headers(res.headers);
    headers.set("Connection", "close");
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
}

export interface RunningServer {
  url: string;
  port: number;
  shutdown(reason?: string): Promise<void>;
  finished: Promise<void>;
}

/** Builds when the client assets are missing or older than their sources; never on Deno Deploy. */
export async function ensureBuild(config: Config): Promise<BuildInfo | null> {
  const root = appConfig.root;
  const current = await readBuildInfo(root);
  if (config.onDenoDeploy) return current;
  if (current && current.sourceHash === await sourceHash(root, appConfig.build.css)) return current;
  log.info(current ? "client sources changed: rebuilding" : "no client build: building");
  const { buildApp } = await import("../build.ts");
  await buildApp((msg) => log.info(msg));
  return await readBuildInfo(root);
}

/**
 * A start that cannot succeed by trying again as it is: the address to listen on is taken or not ours.
 * main.ts says so and exits with EXIT_CANNOT_START, which the APP_PROCESSES supervisor does not restart.
 */
export class StartupError extends Error {}
/** EX_CONFIG of sysexits.h: a configuration or environment problem. */
export const EXIT_CANNOT_START = 78;

/** What a failed listen means to whoever started the app; null: not a problem of the address. */
export function listenProblem(e: unknown, host: string, port: number): string | null {
  const where = `${host}:${port}`;
  if (e instanceof Deno.errors.AddrInUse) {
    return `cannot listen on ${where}: the port is in use by another process (stop it, or set PORT to a free port)`;
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return `cannot listen on ${where}: permission denied (ports below 1024 need privileges; set PORT)`;
  }
  if (e instanceof Deno.errors.AddrNotAvailable) {
    return `cannot listen on ${where}: this machine has no such address (set HOST, e.g. 0.0.0.0 or 127.0.0.1)`;
  }
  return null;
}

export async function startServer(
  config: Config,
  options: {
    handleSignals?: boolean;
    onListen?: (addr: Deno.NetAddr) => void;
    /** Routes added in front of the file routes, behind the same middleware (benchmarks' baselines). */
    configureApp?: (app: Hono) => void;
  } = {},
): Promise<RunningServer> {
  // A background task's bug must not take every request down with it: log it and keep serving.
  const logged = (err: unknown) =>
    err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err);
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    log.error("unhandled rejection in a background task", { error: logged(e.reason) });
  });
  // The same for an exception thrown in a library's callback: postgres.js 3.4 can write to a connection that
  // closed in the same turn (its deferred write finds `socket` null) when the database goes away under load,
  // and that connection is dropped and reopened anyway; the process must not go down with it.
  globalThis.addEventListener("error", (e) => {
    e.preventDefault();
    log.error("uncaught exception in a callback", { error: logged(e.error) });
  });
  const build = await ensureBuild(config);
  setBuildInfo(build);
  // Imported after the build, which may have just regenerated the manifest.
  const manifest = (await import("../fresh.gen.ts")).default as Manifest;
  const services = createServices(config);
  const app = createApp({ services, manifest, build, root: appConfig.root, configure: options.configureApp });

  /** DATA_DIR/app.pid says which app uses the folder and where it listens (`deno task seed` reads it). */
  const recordInDataDir = (url: string) => {
    if (config.onDenoDeploy || options.handleSignals === false) return;
    const me = { url, database: config.databaseUrl ? "postgres" : "pglite", role: "app" } as const;
    try {
      // With PGlite the database adapter took the folder before opening it; with Postgres it is taken here.
      if (config.databaseUrl) claimDataDir(config.dataDir, me);
      else updateDataDirClaim(config.dataDir, me);
    } catch (e) {
      const what = e instanceof DataDirInUseError
        ? "data folder in use by another process"
        : "cannot write to the data folder";
      log.warn(what, { error: e instanceof Error ? e.message : String(e) });
    }
  };

  let draining = false;
  let inFlight = 0, lastRequestAt = 0;
  const handle = async (req: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    inFlight++;
    if (draining) lastRequestAt = performance.now();
    try {
      // Every request's database work shares one budget (services/adapters/deadline.ts): an outage is a 503 in
      // under 5 s, however many queries the route makes.
      const res = await withDeadline(REQUEST_DATABASE_BUDGET_MS, () => app.fetch(req, info));
      return draining ? closingConnection(res) : res;
    } finally {
      inFlight--;
    }
  };
  /** Resolves once the listener may close: see ACCEPT_AFTER_SIGNAL_MS. */
  const trafficStopped = async () => {
    const from = performance.now();
    const bound = config.shutdownTimeoutMs / 4;
    for (;;) {
      const now = performance.now();
      if (now - from >= bound) return;
      if (now - from >= ACCEPT_AFTER_SIGNAL_MS && inFlight === 0 && now - lastRequestAt >= QUIET_MS) return;
      await delay(25);
    }
  };

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      port: config.port,
      hostname: config.host,
      reusePort: config.reusePort,
      onListen: (addr) => {
        const url = `http://${addr.hostname === "0.0.0.0" ? "localhost" : addr.hostname}:${addr.port}`;
        recordInDataDir(url);
        log.info("listening", { url });
        options.onListen?.(addr);
      },
    }, handle);
  } catch (e) {
    const problem = listenProblem(e, config.host, config.port);
    throw problem ? new StartupError(problem, { cause: e }) : e;
  }
  const addr = server.addr;

  // Not awaited: the server answers /health and pages while services connect.
  services.start().catch((e) => {
    log.error("a required service did not start; still trying it", {
      error: e instanceof Error ? e.message : String(e),
    });
  });

  let stopping: Promise<void> | null = null;
  const shutdown = (reason = "shutdown") => {
    stopping ??= (async () => {
      log.info("shutting down", { reason });
      // Readiness answers 503 from now on, and every response says `Connection: close`, so that a keep-alive
      // client opens its next request elsewhere instead of sending it on a connection about to close.
      services.beginShutdown();
      draining = true;
      const timeout = new Promise<void>((resolve) => {
        const id = setTimeout(() => {
          log.warn("shutdown timed out; closing anyway", { ms: config.shutdownTimeoutMs });
          resolve();
        }, config.shutdownTimeoutMs);
        Deno.unrefTimer(id);
      });
      // Still accepting for a moment: connections the kernel already accepted (the listen backlog) and
      // requests on their way are served rather than reset when the listener closes, and a load balancer
      // has time to see readiness turn 503.
      await Promise.race([trafficStopped(), timeout]);
      // Stop accepting, let in-flight requests finish, then close adapters.
      await Promise.race([server.shutdown(), timeout]);
      await services.stop();
      if (!config.onDenoDeploy) releaseDataDir(config.dataDir);
      log.info("stopped");
    })();
    return stopping;
  };

  if (options.handleSignals !== false) {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => {
        shutdown(signal).then(() => {
          flushLogs();
          Deno.exit(0);
        });
      });
    }
  }

  return {
    url: `http://${addr.hostname === "0.0.0.0" ? "127.0.0.1" : addr.hostname}:${addr.port}`,
    port: addr.port,
    shutdown,
    finished: server.finished,
  };
}
