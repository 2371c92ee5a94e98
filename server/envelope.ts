/**
 * What every response gets, whatever answered it: a request id, the document security headers, a metrics
 * sample and an access line. One middleware instead of four, because on a cached page this envelope cost
 * more than the page: Hono's request-id middleware prepared a Headers object no handler's Response ever
 * used, and its secure-headers middleware `set` eleven headers one by one after the handler, each a scan
 * of the list so far (Deno validates and lower-cases every name on every `set`).
 *
 * The framework's pages are built with their headers already in them (`decorate`, appended once on the
 * new Response, the cheapest way Deno offers: a HeadersInit record or array is converted through WebIDL
 * and costs three times as much; a cached page's response is cloned with them); such a response is
 * remembered, and the middleware leaves its headers alone. Anything else (JSON from an API handler, a
 * redirect, a static file) gets them set after the fact.
 */
import type { Context, MiddlewareHandler } from "hono";
import { type PageDecoration, ROUTE_PATTERN } from "../framework/server.ts";
import { accessLog } from "../services/log/logger.ts";
import type { RequestRecorder } from "../services/metrics/metrics.ts";

declare module "hono" {
  interface ContextVariableMap {
    requestId: string;
  }
}

export type HeaderList = readonly (readonly [string, string])[];

/** A Content-Security-Policy in camel-cased directives (`scriptSrc`), as Hono's secure-headers took it. */
export type CspDirectives = Record<string, readonly string[]>;

export function cspValue(policy: CspDirectives): string {
  return Object.entries(policy)
    .map(([directive, sources]) => [directive.replace(/[A-Z]/g, (m) => "-" + m.toLowerCase()), ...sources].join(" "))
    .join("; ");
}

/**
 * The security headers of a document: the set Hono's secure-headers middleware sends by default (kept, so
 * that no browser loses a protection it had), with the app's policy, referrer policy and, in production, HSTS.
 */
export function securityHeaders(opts: { csp: CspDirectives; hsts: string | null }): HeaderList {
  return [
    ["cross-origin-resource-policy", "same-origin"],
    ["cross-origin-opener-policy", "same-origin"],
    ["origin-agent-cluster", "?1"],
    ["referrer-policy", "strict-origin-when-cross-origin"],
    ...(opts.hsts ? [["strict-transport-security", opts.hsts] as const] : []),
    ["x-content-type-options", "nosniff"],
    ["x-dns-prefetch-control", "off"],
    ["x-download-options", "noopen"],
    ["x-frame-options", "SAMEORIGIN"],
    ["x-permitted-cross-domain-policies", "none"],
    ["x-xss-protection", "0"],
    ["content-security-policy", cspValue(opts.csp)],
  ];
}

/** An incoming id is kept only when it is short and plain, so that logs cannot be forged through it. */
const PLAIN_ID = /^[\w\-=]{1,64}$/;

export interface EnvelopeOptions {
  /** The security headers of a path (the API reference needs its own policy); null: none (a WebSocket's). */
  headersFor: (c: Context) => HeaderList | null;
  recorder: RequestRecorder | null;
}

export interface Envelope {
  middleware: MiddlewareHandler;
  /** Puts the envelope's headers on a page being built; the middleware then leaves it alone. */
  decorate: PageDecoration;
}

export function envelope(opts: EnvelopeOptions): Envelope {
  const complete = new WeakSet<Response>();

  const decorate: PageDecoration = {
    document(res, c, own) {
      const list = opts.headersFor(c);
      if (!list) return;
      // Ours win over a page's own, as everywhere else: a second CSP or X-Frame-Options would not be ignored.
      const h = res.headers;
      if (own) { for (const [name, value] of list) h.set(name, value); }
      else for (const [name, value] of list) h.append(name, value);
    },
    request(res, c) {
      res.headers.append("x-request-id", c.get("requestId"));
      complete.add(res);
    },
  };

  const middleware: MiddlewareHandler = async (c, next) => {
    const start = performance.now();
    const incoming = c.req.raw.headers.get("x-request-id");
    c.set("requestId", incoming !== null && PLAIN_ID.test(incoming) ? incoming : crypto.randomUUID());
    await next();
    const res = c.res;
    const status = res.status;
    // A WebSocket's 101 is left alone: its headers may be immutable, and nothing reads them.
    if (status !== 101 && !complete.has(res)) {
      const id = c.get("requestId");
      const list = opts.headersFor(c);
      try {
        setEnvelopeHeaders(res.headers, id, list);
      } catch {
        // A response whose headers are immutable (one passed through from `fetch`, `Response.redirect`): a
        // copy takes them, so that it is answered and logged like any other.
        const copy = new Response(res.body, res);
        setEnvelopeHeaders(copy.headers, id, list);
        c.res = undefined;
        c.res = copy;
      }
    }
    if (opts.recorder) {
      // Static assets are one series, whatever the file; anything no route matched is another.
      const route = c.get(ROUTE_PATTERN) ?? (c.req.path.startsWith("/_fresh/") ? "/_fresh/*" : "unmatched");
      opts.recorder.record(c.req.method, route, status, (performance.now() - start) / 1000);
    }
    accessLog({
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round((performance.now() - start) * 10) / 10,
    });
  };

  return { middleware, decorate };
}

/** On a response made elsewhere: its own request id is kept, the security headers are ours. */
function setEnvelopeHeaders(h: Headers, requestId: string, list: HeaderList | null): void {
  if (!h.has("x-request-id")) h.set("x-request-id", requestId);
  if (list) { for (const [name, value] of list) h.set(name, value); }
}
