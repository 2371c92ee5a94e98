/**
 * Route-group middleware as the (app) pages use it: a group's _middleware.ts and a folder's inside it both
 * run, outermost first, and only for the routes below them.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { mountManifest } from "../../framework/server.ts";
import type { FreshContext, Manifest } from "../../framework/types.ts";

const mark = (name: string) => async (ctx: FreshContext<{ trace: string[] }>) => {
  ctx.state.trace.push(name);
  return await ctx.next();
};
const show = (ctx: FreshContext<{ trace: string[] }>) => new Response(ctx.state.trace.join(">"));

const manifest: Manifest = {
  baseUrl: "file:///fixture/",
  islands: {},
  routes: {
    "./routes/_middleware.ts": { handler: mark("root") },
    "./routes/(app)/_middleware.ts": { handler: [mark("app"), mark("app2")] },
    "./routes/(app)/bidding/_middleware.ts": { handler: mark("bidding") },
    "./routes/(app)/bidding/index.tsx": { handler: show },
    "./routes/(app)/bidding/[id].tsx": { handler: show },
    "./routes/(app)/profile.tsx": { handler: show },
    "./routes/login.tsx": { handler: show },
  },
};

const app = new Hono();
mountManifest(app, { manifest, build: null, initState: () => ({ trace: [] }), onUnexpectedError: () => {} });
const text = async (path: string) => await (await app.request(`http://x${path}`)).text();

Deno.test("nested middleware in a route group runs outermost first, for the routes below it only", async () => {
  assert.equal(await text("/bidding"), "root>app>app2>bidding");
  assert.equal(await text("/bidding/7"), "root>app>app2>bidding");
  assert.equal(await text("/profile"), "root>app>app2");
  assert.equal(await text("/login"), "root");
});
