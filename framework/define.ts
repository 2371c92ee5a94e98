import type { ComponentType, VNode } from "preact";
import { type ApiHandlerMap, type ApiSpec, defineApi } from "./api.ts";
import {
  type FreshContext,
  type HandlerFn,
  type HandlerMap,
  type Middleware,
  PAGE_RESULT,
  type PageProps,
  type PageResult,
  type RouteHandler,
} from "./types.ts";

/** Fresh 2's `page()`: render the route's page component with this data. */
export function page<Data>(
  data: Data,
  init: { status?: number; headers?: HeadersInit; cacheKey?: string } = {},
): PageResult<Data> {
  return { [PAGE_RESULT]: true, data, ...init };
}

export function isPageResult(value: unknown): value is PageResult<unknown> {
  return typeof value === "object" && value !== null && PAGE_RESULT in value;
}

// deno-lint-ignore no-explicit-any
type DataOf<H> = H extends HandlerFn<infer D, any> ? D
  // deno-lint-ignore no-explicit-any
  : H extends HandlerMap<infer D, any> ? D
  : never;

export interface Define<State> {
  handlers<Data, H extends RouteHandler<Data, State>>(handlers: H): H;
  page<H = undefined, Data = H extends undefined ? undefined : DataOf<H>>(
    component: (props: PageProps<Data, State>) => VNode | null | Promise<VNode | null>,
  ): (props: PageProps<Data, State>) => VNode | null | Promise<VNode | null>;
  middleware(fn: Middleware<State> | Middleware<State>[]): Middleware<State> | Middleware<State>[];
  layout(
    component: (props: PageProps<unknown, State> & { Component: ComponentType }) => VNode | null,
  ): (props: PageProps<unknown, State>) => VNode | null;
  /** An API route: zod-declared input, responses and permission (see api.ts). */
  api(spec: ApiSpec): ApiHandlerMap<State>;
}

/** `export const define = createDefine<State>()` — typing helpers only, as in Fresh 2. */
export function createDefine<State>(): Define<State> {
  return {
    handlers: (h) => h,
    page: (c) => c,
    middleware: (m) => m,
    layout: (c) => c,
    api: (spec) => defineApi<State>(spec),
  };
}

export type { FreshContext };
