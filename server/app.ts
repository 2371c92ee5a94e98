/**
 * The HTTP kernel: Hono with the operational middleware (request id, access log,
 * security headers, body limit, static files) in front of the file routes.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { MAX_STATEMENT_BYTES } from "../services/settlement/actions.ts";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { serveStatic } from "hono/deno";
import { etag } from "hono/etag";
import { trimTrailingSlash } from "hono/trailing-slash";
import { configureApi } from "../framework/api.ts";
import { HttpError } from "../framework/http_error.ts";
import { mountManifest, ROUTE_PATTERN } from "../framework/server.ts";
import { requestRecorder } from "../services/metrics/metrics.ts";
import type { BuildInfo, Manifest } from "../framework/types.ts";
import { accessLog, log } from "../services/log/logger.ts";
import { authorize } from "./auth_http.ts";
import { assertFeature } from "./features.ts";
import { classifyError } from "./errors.ts";
import { isWebSocketUpgrade } from "./realtime_http.ts";
import type { State } from "../utils.ts";
import type { AppServices } from "../services/wiring.ts";

/** The routes that take a settlement statement upload (API and page). */
const STATEMENT_UPLOADS = new Set(["/api/settlements/statements", "/settlements"]);

export interface CreateAppOptions {
  services: AppServices;
  manifest: Manifest;
  build: BuildInfo | null;
  /** Project root (folder URL) for `_fresh/static` and `static/`. */
  root: URL;
  /** Routes added in front of the file routes, behind the same middleware. */
  configure?: (app: Hono) => void;
}

/** Only the app's own scripts run; styles only from the app's stylesheet (style attributes allowed for charts). */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  styleSrcAttr: ["'unsafe-inline'"],
  imgSrc: ["'self'", "data:"],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export function createApp(opts: CreateAppOptions): Hono {
  const { services } = opts;
  const app = new Hono();
  configureApi({
    validateResponses: services.config.appEnv !== "production",
    authorize,
    requireFeature: assertFeature,
  });

  app.use(requestId({
    headerName: "X-Request-Id",
    // An incoming id is kept only when it is short and plain, so logs cannot be forged through it.
    limitLength: 64,
  }));
  const recorder = services.config.requestMetrics ? requestRecorder : null;
  app.use(async (c, next) => {
    const start = performance.now();
    await next();
    if (recorder) {
      // Static assets are one series, whatever the file; anything no route matched is another.
      const route = c.get(ROUTE_PATTERN) ?? (c.req.path.startsWith("/_fresh/") ? "/_fresh/*" : "unmatched");
      recorder.record(c.req.method, route, c.res.status, (performance.now() - start) / 1000);
    }
    // Route handlers return their own Response objects, which do not carry headers set on `c` before them.
    // A WebSocket's 101 is left alone: its headers may be immutable, and nothing reads them.
    if (c.res.status !== 101 && !c.res.headers.has("X-Request-Id")) {
      c.res.headers.set("X-Request-Id", c.get("requestId"));
    }
    accessLog({
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - start) * 10) / 10,
    });
  });
  const headerOptions = {
    strictTransportSecurity: services.config.appEnv === "production" ? "max-age=31536000; includeSubDomains" : false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: "strict-origin-when-cross-origin",
  } as const;
  const strictHeaders = secureHeaders({ ...headerOptions, contentSecurityPolicy: CONTENT_SECURITY_POLICY });
  // The API reference injects its own <style> elements at run time; scripts stay 'self' only.
  const docsHeaders = secureHeaders({
    ...headerOptions,
    contentSecurityPolicy: { ...CONTENT_SECURITY_POLICY, styleSrc: ["'self'", "'unsafe-inline'"] },
  });
  app.use((c, next) => {
    // Document headers mean nothing on a WebSocket handshake, and setting them after the handler could
    // throw on the 101's immutable headers. Only WebSocket clients send Upgrade, so pages always get them.
    if (isWebSocketUpgrade(c.req.raw) && c.req.path.startsWith("/api/ws/")) return next();
    return c.req.path === "/api/docs" ? docsHeaders(c, next) : strictHeaders(c, next);
  });
  // "/bidding/" is "/bidding": links and typed URLs with a trailing slash resolve rather than 404. Only such
  // paths enter it: the middleware awaits the rest of the chain, a cost every other request need not pay.
  const trim = trimTrailingSlash({ alwaysRedirect: true });
  app.use((c, next) => c.req.path.length > 1 && c.req.path.endsWith("/") ? trim(c, next) : next());
  const limitOf = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new HttpError(413, `The request body is larger than ${maxSize} bytes`, { code: "payload_too_large" });
      },
    });
  const defaultLimit = limitOf(services.config.bodyLimitBytes);
  // A settlement statement is a file of up to 50 MB, streamed into the database as it arrives.
  const statementLimit = limitOf(Math.max(MAX_STATEMENT_BYTES, services.config.bodyLimitBytes));
  app.use((c, next) =>
    c.req.method === "POST" && STATEMENT_UPLOADS.has(c.req.path) ? statementLimit(c, next) : defaultLimit(c, next)
  );

  const staticRoot = (dir: string) => new URL(dir, opts.root).pathname;
  app.use(
    "/_fresh/*",
    async (c, next) => {
      await next();
      // Hashed names change with content, so these files can be cached forever.
      if (c.res.status === 200) c.header("Cache-Control", "public, max-age=31536000, immutable");
    },
    serveStatic({ root: staticRoot("_fresh/static"), rewriteRequestPath: (p) => p.replace(/^\/_fresh/, "") }),
  );

  opts.configure?.(app);
  const clientIslands: ReadonlySet<string> = new Set(opts.build?.boot ? Object.keys(opts.build.islands) : []);
  const mounted = mountManifest<State>(app, {
    manifest: opts.manifest,
    build: opts.build,
    initState: (c) => ({
      requestId: c.get("requestId"),
      services,
      auth: null,
      ip: "unknown",
      clientIslands,
    }),
    classifyError,
    onUnexpectedError: (err, c) => {
      log.error("unhandled error", {
        requestId: c.get("requestId"),
        path: new URL(c.req.url).pathname,
        error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err),
      });
    },
  });

  // Files from static/ (favicon, robots.txt) with revalidation, not immutability: their names do not change.
  app.use("*", etag(), async (c, next) => {
    await next();
    if (c.res.status === 200 && !c.res.headers.has("Cache-Control")) c.header("Cache-Control", "public, max-age=3600");
  }, serveStatic({ root: staticRoot("static") }));

  app.notFound((c) => mounted.errorResponse(c, new HttpError(404)));
  app.onError((err, c) => mounted.errorResponse(c, err));
  return app;
}
