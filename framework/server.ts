/**
 * Mounts a route manifest on a Hono app: one Hono route per file route, in
 * specificity order, each running its folder's middleware chain, then its
 * handler, then (for pages) `_app` → layouts → page.
 */
import type { Context, Hono } from "hono";
import { getApiSpec } from "./api.ts";

/** The Hono context variable holding the matched file route's pattern (e.g. `/api/bids/:id`). */
export const ROUTE_PATTERN = "routePattern";

declare module "hono" {
  interface ContextVariableMap {
    routePattern: string;
  }
}
import { isPageResult } from "./define.ts";
import { defaultCode, defaultMessage, HttpError } from "./http_error.ts";
import { IslandRegistry } from "./islands.ts";
import { renderPage } from "./render.ts";
import { compareRoutes, parseRouteFile, type RouteFile, scopeApplies } from "./route_path.ts";
import {
  type BuildInfo,
  type FreshContext,
  type HandlerFn,
  type Manifest,
  METHODS,
  type Middleware,
  type PageComponent,
  type RouteModule,
} from "./types.ts";

export interface MountOptions<State> {
  manifest: Manifest;
  build: BuildInfo | null;
  /** Fresh state for each request (e.g. the request id). */
  initState: (c: Context) => State;
  /** Paths answered with JSON errors instead of error pages. */
  isApiPath?: (path: string) => boolean;
  /** Where unexpected errors are reported (with the request id); never sent to the client. */
  onUnexpectedError: (err: unknown, c: Context) => void;
  /** Turns known failures that are not the client's fault nor a bug (a database outage) into HttpErrors. */
  classifyError?: (err: unknown) => HttpError | null;
  /** Pages kept by `page(data, { cacheKey })`; least recently used are dropped first. */
  renderCacheSize?: number;
  /** Adds the app's own headers to a page's Response as it is built (appended: none of them is set yet). */
  decorate?: PageDecoration;
}

export interface PageDecoration {
  /**
   * Headers that are the same for every request of a page (kept with a cached page). `own`: the page's
   * handler gave headers of its own, which the decoration's may have to replace rather than follow.
   */
  document: (res: Response, c: Context, own: boolean) => void;
  /** Headers of this request alone (its id). */
  request: (res: Response, c: Context) => void;
}

/**
 * A rendered page kept for its cache key: the HTML, and the whole response without the request's own
 * headers. A hit answers with a clone of it, which copies the header list as it is; building the response
 * again appended and validated a dozen headers (about 2 µs of the 3 µs a response took).
 *
 * The HTML is a string, not bytes: Deno copies a byte body into every Response made from it (a 30 KB page,
 * ~8 µs), while a string goes to the server as it is and is encoded in native code.
 */
interface RenderedPage {
  html: string;
  /** null: the page's handler set its own status or headers, so the response is made anew each time. */
  response: Response | null;
}

/** A small LRU of rendered pages: a Map keeps insertion order, so re-inserting on a hit marks it recent. */
class RenderCache {
  #entries = new Map<string, RenderedPage>();
  constructor(readonly max: number) {}
  get(key: string): RenderedPage | undefined {
    const v = this.#entries.get(key);
    if (v !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, v);
    }
    return v;
  }
  set(key: string, page: RenderedPage): void {
    this.#entries.delete(key);
    this.#entries.set(key, page);
    if (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

/**
 * A request's context. Its URL and parameters are parsed when first read: a cached page reads neither, and
 * parsing them was about 2 % of its time. Getters of a class, not of an object literal: with the literal's
 * getters (made anew for every object) a cached page measured slower than with the parsing.
 */
class RouteContext<State> implements FreshContext<State> {
  #url: URL | undefined;
  #params: Record<string, string> | undefined;
  constructor(readonly hono: Context, public state: State, readonly route: string | null, readonly error: unknown) {}
  get req(): Request {
    return this.hono.req.raw;
  }
  get url(): URL {
    return this.#url ??= new URL(this.hono.req.url);
  }
  get params(): Record<string, string> {
    return this.#params ??= this.hono.req.param() as Record<string, string>;
  }
  next(): Promise<Response> {
    return Promise.reject(new Error("ctx.next() is only available in middleware"));
  }
  /** A property, not a method: it may be passed on or destructured as the object literal's could. */
  readonly redirect = redirectTo;
}

function redirectTo(path: string, status = 302): Response {
  return new Response(null, { status, headers: { location: path } });
}

/** The route's context as one middleware sees it: its own `next`, and a `state` it may replace. */
class MiddlewareContext<State> implements FreshContext<State> {
  state: State;
  readonly #ctx: FreshContext<State>;
  constructor(ctx: FreshContext<State>, readonly next: () => Promise<Response>) {
    this.#ctx = ctx;
    this.state = ctx.state;
  }
  get req(): Request {
    return this.#ctx.req;
  }
  get url(): URL {
    return this.#ctx.url;
  }
  get params(): Record<string, string> {
    return this.#ctx.params;
  }
  get route(): string | null {
    return this.#ctx.route;
  }
  get error(): unknown {
    return this.#ctx.error;
  }
  get hono(): Context {
    return this.#ctx.hono;
  }
  readonly redirect = redirectTo;
}

interface Route {
  file: RouteFile;
  mod: RouteModule;
  middlewares: Middleware<unknown>[];
  // deno-lint-ignore no-explicit-any
  layouts: PageComponent<any, any>[];
}

export interface MountedApp {
  /** Render an error for any request (used by Hono's onError). */
  errorResponse(c: Context, err: unknown): Promise<Response>;
  /** Hono's notFound: the 404 of a path no route matched. */
  notFound(c: Context): Promise<Response>;
  routes: { pattern: string; key: string; api: boolean }[];
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

const defaultIsApi = (path: string) => path === "/api" || path.startsWith("/api/") || path.startsWith("/health");

export function mountManifest<State>(app: Hono, opts: MountOptions<State>): MountedApp {
  const registry = IslandRegistry.fromManifest(opts.manifest.islands);
  const renderCache = new RenderCache(opts.renderCacheSize ?? 256);
  const isApiPath = opts.isApiPath ?? defaultIsApi;
  const files = Object.entries(opts.manifest.routes).map(([key, mod]) => ({ file: parseRouteFile(key), mod }));
  const special = (kind: string, dirs: string[] = []) =>
    files.find((f) => f.file.special === kind && f.file.dirs.join("/") === dirs.join("/"))?.mod;
  const appModule = special("app");
  const layoutsFor = (dirs: string[]) =>
    files.filter((f) => f.file.special === "layout" && scopeApplies(f.file.dirs, dirs))
      .sort((a, b) => a.file.dirs.length - b.file.dirs.length)
      .map((f) => f.mod.default!).filter(Boolean);
  const middlewaresFor = (dirs: string[]) =>
    files.filter((f) => f.file.special === "middleware" && scopeApplies(f.file.dirs, dirs))
      .sort((a, b) => a.file.dirs.length - b.file.dirs.length)
      .flatMap((f) => {
        const h = f.mod.handler;
        return (Array.isArray(h) ? h : h ? [h] : []) as Middleware<unknown>[];
      });

  const routes: Route[] = files.filter((f) => f.file.pattern)
    .map((f) => ({
      ...f,
      middlewares: middlewaresFor(f.file.dirs),
      layouts: f.mod.config?.skipInheritedLayouts ? [] : layoutsFor(f.file.dirs),
    }))
    .sort((a, b) => compareRoutes(a.file.pattern!, b.file.pattern!));

  const seen = new Map<string, string>();
  for (const r of routes) {
    const other = seen.get(r.file.pattern!);
    if (other) throw new Error(`Routes ${other} and ${r.file.key} both match ${r.file.pattern}`);
    seen.set(r.file.pattern!, r.file.key);
  }

  async function renderWith(
    c: Context,
    ctx: FreshContext<State>,
    // deno-lint-ignore no-explicit-any
    component: PageComponent<any, any>,
    // deno-lint-ignore no-explicit-any
    layouts: PageComponent<any, any>[],
    data: unknown,
    init: { status?: number; headers?: HeadersInit; cacheKey?: string },
    skipApp = false,
  ): Promise<Response> {
    const cacheKey = init.cacheKey === undefined ? null : `${ctx.route}\u0000${init.cacheKey}`;
    const head = c.req.method === "HEAD";
    const plain = init.status === undefined && init.headers === undefined;
    const hit = cacheKey ? renderCache.get(cacheKey) : undefined;
    if (hit?.response && plain && !head) {
      const res = hit.response.clone();
      opts.decorate?.request(res, c);
      return res;
    }
    let html = hit?.html;
    if (html === undefined) {
      html = await renderPage(
        {
          app: skipApp ? null : appModule?.default ?? null,
          layouts,
          page: component,
          props: {
            data,
            url: ctx.url,
            params: ctx.params,
            state: ctx.state as Record<string, unknown>,
            route: ctx.route,
            error: ctx.error,
          },
        },
        registry,
        opts.build,
      );
      // Kept as a one-byte string, which Deno sends as it is: the page is ASCII (render.ts asciiHtml), but a
      // string built from slices of a wider one stays two bytes a character, encoded again on every send.
      if (cacheKey) html = decoder.decode(encoder.encode(html));
    }
    const status = init.status ?? 200;
    const res = new Response(head ? null : html, status === 200 ? undefined : { status });
    // Headers added to the Response's own list: an init of headers is converted through WebIDL, which costs
    // several times as much per header as `append`.
    const headers = res.headers;
    headers.set("content-type", "text/html; charset=utf-8");
    if (init.headers) {
      new Headers(init.headers).forEach((value, name) =>
        name === "set-cookie" ? headers.append(name, value) : headers.set(name, value)
      );
    }
    // HTML is never served stale: it names the hashed assets of the build that produced it.
    if (!init.headers || !headers.has("cache-control")) headers.append("cache-control", "no-cache");
    opts.decorate?.document(res, c, init.headers !== undefined);
    if (cacheKey && !hit?.response) {
      renderCache.set(cacheKey, { html, response: plain && !head ? res.clone() : null });
    }
    opts.decorate?.request(res, c);
    return res;
  }

  function makeContext(c: Context, route: string | null, error?: unknown): FreshContext<State> {
    const existing = c.get("freshState" as never) as State | undefined;
    const state = existing ?? opts.initState(c);
    c.set("freshState" as never, state as never);
    return new RouteContext(c, state, route, error);
  }

  async function errorResponse(c: Context, err: unknown): Promise<Response> {
    const http = err instanceof HttpError ? err : (opts.classifyError?.(err) ?? null);
    const status = http?.status ?? 500;
    if (!http) opts.onUnexpectedError(err, c);
    // The path Hono routed on: `/%61pi/…` is an API path as much as `/api/…`.
    const path = c.req.path;
    const headers = new Headers(http?.options.headers);
    if (isApiPath(path)) {
      const message = http ? http.message : defaultMessage(500);
      const body = {
        error: {
          code: http?.options.code ?? defaultCode(status),
          message,
          ...(http?.options.details !== undefined ? { details: http.options.details } : {}),
        },
      };
      headers.set("content-type", "application/json; charset=utf-8");
      headers.set("cache-control", "no-store");
      return new Response(JSON.stringify(body), { status, headers });
    }
    const page = (status === 404 ? special("404") : special("500")) ?? special("error");
    if (!page?.default) {
      headers.set("content-type", "text/plain; charset=utf-8");
      return new Response(defaultMessage(status), { status, headers });
    }
    try {
      const ctx = makeContext(c, null, err);
      return await renderWith(c, ctx, page.default, [], undefined, { status, headers });
    } catch (renderErr) {
      opts.onUnexpectedError(renderErr, c);
      return new Response(defaultMessage(status), { status, headers: { "content-type": "text/plain; charset=utf-8" } });
    }
  }

  for (const route of routes) {
    const mod = route.mod;
    const handler = mod.handler as
      | HandlerFn<unknown, State>
      | Partial<Record<string, HandlerFn<unknown, State>>>
      | undefined;
    const allowed = typeof handler === "function"
      ? METHODS
      : handler
      ? Object.keys(handler).filter((m) => METHODS.includes(m as never)).concat(
        handler.GET || (mod.default && !handler.GET) ? ["HEAD"] : [],
      ).concat(mod.default && !handler.GET ? ["GET"] : [])
      : mod.default
      ? ["GET", "HEAD"]
      : [];
    const allow = [...new Set(allowed)].join(", ");

    const final = async (ctx: FreshContext<State>): Promise<Response> => {
      const method = ctx.req.method === "HEAD" ? "GET" : ctx.req.method;
      let fn: HandlerFn<unknown, State> | undefined;
      if (typeof handler === "function") fn = handler;
      else if (handler) fn = handler[method];
      if (!fn) {
        if (method === "GET" && mod.default) {
          return renderWith(ctx.hono, ctx, mod.default, route.layouts, undefined, {}, mod.config?.skipAppWrapper);
        }
        throw new HttpError(405, `${ctx.req.method} is not allowed here; use ${allow}`, {
          code: "method_not_allowed",
          headers: { allow },
        });
      }
      const result = await fn(ctx);
      if (result instanceof Response) return result;
      if (isPageResult(result) || (result && typeof result === "object" && "data" in result)) {
        if (!mod.default) throw new Error(`${route.file.key} returned page data but has no default page component`);
        const r = result as { data: unknown; status?: number; headers?: HeadersInit; cacheKey?: string };
        return renderWith(ctx.hono, ctx, mod.default, route.layouts, r.data, r, mod.config?.skipAppWrapper);
      }
      throw new Error(`${route.file.key}: a handler must return a Response or page(data)`);
    };

    app.all(route.file.pattern!, async (c) => {
      // For metrics and logs: the route pattern (bounded), never the raw path (one series per id).
      c.set(ROUTE_PATTERN, route.file.pattern!);
      const ctx = makeContext(c, route.file.pattern);
      try {
        return await runChain(ctx, route.middlewares, final);
      } catch (err) {
        return await errorResponse(c, err);
      }
    });
  }

  /** The middlewares in order, each with its own `next`, then `final`. */
  function runChain(
    ctx: FreshContext<State>,
    chain: Middleware<unknown>[],
    final: (ctx: FreshContext<State>) => Promise<Response>,
  ): Promise<Response> {
    const run = (i: number): Promise<Response> => {
      if (i >= chain.length) return final(ctx);
      const mctx = new MiddlewareContext(ctx, () => run(i + 1));
      return Promise.resolve(chain[i](mctx as FreshContext<unknown>)).then((res) => {
        ctx.state = mctx.state as State;
        return res;
      });
    };
    return run(0);
  }

  const rootMiddlewares = middlewaresFor([]);

  /**
   * No route matched. A page path's 404 is rendered after the root folder's middlewares, as Fresh runs them for
   * every request: the page then knows who is signed in (its navigation showed "Sign in" to a signed-in member).
   * An API path answers its JSON 404 at once.
   */
  async function notFound(c: Context): Promise<Response> {
    const missing = new HttpError(404);
    if (isApiPath(c.req.path)) return await errorResponse(c, missing);
    try {
      return await runChain(makeContext(c, null), rootMiddlewares, () => Promise.reject(missing));
    } catch (err) {
      return await errorResponse(c, err);
    }
  }

  return {
    errorResponse,
    notFound,
    routes: routes.map((r) => ({ pattern: r.file.pattern!, key: r.file.key, api: getApiSpec(r.mod.handler) !== null })),
  };
}
