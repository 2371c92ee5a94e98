import type { ComponentType, VNode } from "preact";
import type { Context as HonoContext } from "hono";

export const PAGE_RESULT = Symbol.for("optibid.page");

/** What `page(data, init)` returns: render the route's component with `data`. */
export interface PageResult<Data> {
  [PAGE_RESULT]: true;
  data: Data;
  status?: number;
  headers?: HeadersInit;
  /**
   * Names the version of the data the page shows: pages rendered with the same
   * route and key are rendered once and served from memory (docs/ARCHITECTURE.md,
   * "Performance notes": cache rendered output by the version of its data, not per request).
   * The key must cover everything the page shows: params, the viewer, the data version.
   */
  cacheKey?: string;
}

/** Fresh 2's `ctx`: one argument for handlers, middleware, layouts and pages. */
export interface FreshContext<State = Record<string, unknown>> {
  readonly req: Request;
  readonly url: URL;
  readonly params: Record<string, string>;
  state: State;
  /** The route pattern that matched (e.g. `/market/:zone`), null for a 404. */
  readonly route: string | null;
  /** Set on error pages. */
  readonly error?: unknown;
  /** Call the rest of the chain (middleware only). */
  next(): Promise<Response>;
  redirect(path: string, status?: number): Response;
  /** Hono's context, for what the layer does not wrap (e.g. WebSocket upgrade). */
  readonly hono: HonoContext;
}

export type HandlerResult<Data> = Response | PageResult<Data> | { data: Data };
export type HandlerFn<Data, State> = (
  ctx: FreshContext<State>,
) => HandlerResult<Data> | Promise<HandlerResult<Data>>;
export type HandlerMap<Data, State> = Partial<Record<Method, HandlerFn<Data, State>>>;
export type RouteHandler<Data, State> = HandlerFn<Data, State> | HandlerMap<Data, State>;

export type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";
export const METHODS: Method[] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

export type Middleware<State> = (ctx: FreshContext<State>) => Response | Promise<Response>;

export interface PageProps<Data = unknown, State = Record<string, unknown>> {
  data: Data;
  url: URL;
  params: Record<string, string>;
  state: State;
  route: string | null;
  error?: unknown;
  /** In `_app` and `_layout`: the wrapped content. */
  Component: ComponentType<Record<string, never>>;
}

export type PageComponent<Data, State> = (props: PageProps<Data, State>) => VNode | null | Promise<VNode | null>;

/** A route module as the manifest imports it. */
export interface RouteModule {
  // deno-lint-ignore no-explicit-any
  handler?: RouteHandler<any, any> | Middleware<any> | Middleware<any>[];
  // deno-lint-ignore no-explicit-any
  default?: PageComponent<any, any>;
  config?: RouteConfig;
}

export interface RouteConfig {
  /** Render without `_app` (e.g. a page that is a full document of its own). */
  skipAppWrapper?: boolean;
  skipInheritedLayouts?: boolean;
}

export interface IslandModule {
  [exportName: string]: unknown;
}

export interface Manifest {
  routes: Record<string, RouteModule>;
  islands: Record<string, IslandModule>;
  baseUrl: string;
}

/** Hashed client assets written by `deno task build` (`_fresh/build.json`). */
export interface BuildInfo {
  sourceHash: string;
  builtAt: string;
  css: string | null;
  boot: string | null;
  /** island key (`Name` or `Name#export`) → module URL */
  islands: Record<string, string>;
  /** extra hashed files by logical name (e.g. the API reference bundle) */
  files: Record<string, string>;
}
