/**
 * The HTTP kernel: Hono with the operational middleware (the envelope: request id, security headers,
 * metrics, access log; body limit, static files) in front of the file routes.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { MAX_STATEMENT_BYTES } from "../services/settlement/actions.ts";
import { serveStatic } from "hono/deno";
import { etag } from "hono/etag";
import { trimTrailingSlash } from "hono/trailing-slash";
import { configureApi } from "../framework/api.ts";
import { HttpError } from "../framework/http_error.ts";
import { mountManifest } from "../framework/server.ts";
import { requestRecorder } from "../services/metrics/metrics.ts";
import type { BuildInfo, Manifest } from "../framework/types.ts";
import { log } from "../services/log/logger.ts";
import { envelope, securityHeaders } from "./envelope.ts";
import { RememberingRouter } from "./router.ts";
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
  const app = new Hono({ router: new RememberingRouter() });
  configureApi({
    validateResponses: services.config.appEnv !== "production",
    authorize,
    requireFeature: assertFeature,
  });

  const csp = CONTENT_SECURITY_POLICY;
  const hsts = services.config.appEnv === "production" ? "max-age=31536000; includeSubDomains" : null;
  const strictHeaders = securityHeaders({ csp, hsts });
  // The API reference injects its own <style> elements at run time; scripts stay 'self' only.
  const docsHeaders = securityHeaders({ csp: { ...csp, styleSrc: ["'self'", "'unsafe-inline'"] }, hsts });
  const frame = envelope({
    // Document headers mean nothing on a WebSocket handshake. Only WebSocket clients send Upgrade, so pages
    // always get them.
    headersFor: (c) =>
      c.req.path === "/api/docs"
        ? docsHeaders
        : c.req.path.startsWith("/api/ws/") && isWebSocketUpgrade(c.req.raw)
        ? null
        : strictHeaders,
    recorder: services.config.requestMetrics ? requestRecorder : null,
  });
  app.use(frame.middleware);
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
  // "/bidding/" is "/bidding": links and typed URLs with a trailing slash resolve rather than 404 (a redirect
  // of GET and HEAD only). A read has no body to limit (Deno gives a GET or HEAD none, whatever was sent). One
  // middleware for both, each a step less per request.
  const trim = trimTrailingSlash({ alwaysRedirect: true });
  app.use((c, next) => {
    const { method, path } = c.req;
    if (method === "GET" || method === "HEAD") return path.length > 1 && path.endsWith("/") ? trim(c, next) : next();
    return method === "POST" && STATEMENT_UPLOADS.has(path) ? statementLimit(c, next) : defaultLimit(c, next);
  });

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
    decorate: frame.decorate,
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

  app.notFound((c) => mounted.notFound(c));
  app.onError((err, c) => mounted.errorResponse(c, err));
  return app;
}
