/** An in-memory manifest exercising every routing feature, mounted on a bare Hono app. */
import { Hono } from "hono";
import { useSignal } from "@preact/signals";
import type { Signal } from "@preact/signals";
import { z } from "zod";
import { createDefine, HttpError, page } from "../../framework/mod.ts";
import { mountManifest, type PageDecoration } from "../../framework/server.ts";
import type { BuildInfo, FreshContext, Manifest, PageProps } from "../../framework/types.ts";

export const renders = { count: 0 };

export interface FixtureState {
  trace: string[];
}
const define = createDefine<FixtureState>();

export function Counter(props: { start: number; when?: Date; label?: Signal<string> }) {
  const n = useSignal(props.start);
  return <button type="button" onClick={() => n.value++}>{props.label ?? "count"}:{n}</button>;
}
export function Fancy(props: { onPick?: () => void; children?: unknown }) {
  return <div>{String(typeof props.onPick)}</div>;
}

const trace = (name: string) => async (ctx: FreshContext<FixtureState>) => {
  ctx.state.trace.push(name);
  const res = await ctx.next();
  res.headers.set(`x-after-${name}`, ctx.state.trace.join(">"));
  return res;
};

function App({ Component }: PageProps) {
  return (
    <html>
      <head>
        <title>t</title>
      </head>
      <body>
        <div id="app">
          <Component />
        </div>
      </body>
    </html>
  );
}

export const manifest: Manifest = {
  baseUrl: "file:///fixture/",
  islands: { "./islands/Counter.tsx": { default: Counter, Fancy } },
  routes: {
    "./routes/_app.tsx": { default: App },
    "./routes/_middleware.ts": { handler: trace("root") },
    "./routes/_404.tsx": { default: ({ url }: PageProps) => <p id="nf">missing {url.pathname}</p> },
    "./routes/_500.tsx": {
      default: ({ error }: PageProps) => <p id="err">{error instanceof HttpError ? error.status : "boom"}</p>,
    },
    "./routes/index.tsx": {
      handler: define.handlers({ GET: () => page({ msg: "home" }) }),
      default: ({ data }: PageProps<{ msg: string }>) => <h1>{data.msg}</h1>,
    },
    "./routes/market/_layout.tsx": {
      default: ({ Component }: PageProps) => (
        <section id="market-layout">
          <Component />
        </section>
      ),
    },
    "./routes/market/_middleware.ts": { handler: [trace("market")] },
    "./routes/market/[zone].tsx": {
      handler: {
        GET: (ctx: FreshContext<FixtureState>) =>
          page({ zone: ctx.params.zone }, { headers: { "x-zone": ctx.params.zone } }),
        POST: (ctx: FreshContext<FixtureState>) => new Response(`posted ${ctx.params.zone}`, { status: 201 }),
      },
      default: ({ data }: PageProps<{ zone: string }>) => <h1 id="zone">{data.zone}</h1>,
    },
    "./routes/market/new.tsx": { default: () => <h1 id="new">new</h1> },
    "./routes/docs/[...rest].tsx": {
      handler: (ctx: FreshContext<FixtureState>) => new Response(`rest=${ctx.params.rest}`),
    },
    "./routes/(marketing)/_layout.tsx": {
      default: ({ Component }: PageProps) => (
        <div id="marketing">
          <Component />
        </div>
      ),
    },
    "./routes/(marketing)/pricing.tsx": { default: () => <h1 id="pricing">pricing</h1> },
    "./routes/cached/[v].tsx": {
      handler: (ctx: FreshContext<FixtureState>) => page({ v: ctx.params.v }, { cacheKey: ctx.params.v }),
      default: ({ data }: PageProps<{ v: string }>) => {
        renders.count++;
        return <p id="cached">{data.v}</p>;
      },
    },
    "./routes/plain.tsx": { default: () => <h1 id="plain">plain</h1>, config: { skipAppWrapper: true } },
    "./routes/teapot.tsx": {
      handler: () => {
        throw new HttpError(418, "short and stout");
      },
    },
    "./routes/crash.tsx": {
      handler: () => {
        throw new Error("secret internal detail");
      },
    },
    "./routes/async.tsx": {
      default: async () => {
        await new Promise((r) => setTimeout(r, 1));
        return <h1 id="async">async page</h1>;
      },
    },
    "./routes/islands.tsx": {
      default: () => (
        <div>
          <Counter start={3} when={new Date("2026-01-02T03:04:05Z")} />
          <Counter start={7} />
        </div>
      ),
    },
    "./routes/bad-island.tsx": { default: () => <Fancy onPick={() => {}} /> },
    "./routes/api/things/[id].ts": {
      handler: define.api({
        GET: {
          summary: "Get a thing",
          permission: "public",
          params: z.object({ id: z.string().regex(/^\d+$/, "must be digits") }),
          query: z.object({ verbose: z.enum(["true", "false"]).optional() }),
          responses: { 200: { description: "ok", schema: z.object({ id: z.number(), verbose: z.boolean() }) } },
          handler: (_ctx, { params, query }) => ({
            body: { id: Number(params.id), verbose: query.verbose === "true" },
          }),
        },
        PUT: {
          summary: "Replace a thing",
          permission: "things:write",
          body: z.object({ name: z.string().min(1), size: z.number().int().positive() }),
          responses: { 200: { description: "ok", schema: z.object({ name: z.string() }) } },
          handler: (_ctx, { body }) => ({ body: { name: body.name } }),
        },
        POST: {
          summary: "Broken response",
          permission: "public",
          body: z.object({ name: z.string() }),
          responses: { 201: { description: "created", schema: z.object({ id: z.number() }) } },
          handler: () => ({ status: 201, body: { id: "not-a-number" } }),
        },
      }),
    },
  },
};

export const fakeBuild: BuildInfo = {
  sourceHash: "x",
  builtAt: new Date(0).toISOString(),
  css: "/_fresh/styles-abc.css",
  boot: "/_fresh/boot-123.js",
  islands: { Counter: "/_fresh/islands/Counter-1.js", "Counter#Fancy": "/_fresh/islands/Counter-1.js" },
  files: {},
};

export function fixtureApp(errors: unknown[] = [], decorate?: PageDecoration) {
  const app = new Hono();
  const mounted = mountManifest<FixtureState>(app, {
    manifest,
    build: fakeBuild,
    initState: () => ({ trace: [] }),
    onUnexpectedError: (e) => errors.push(e),
    decorate,
  });
  app.notFound((c) => mounted.errorResponse(c, new HttpError(404)));
  app.onError((e, c) => mounted.errorResponse(c, e));
  return { app, mounted };
}
