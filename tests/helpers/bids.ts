/**
 * Fixtures for the bid tests: delivery hours whose gates are still open, a PJM site with one asset made
 * through the API, and the bidding pages served over a test app's services (they have islands, so they
 * need a stand-in client build that the shared test app does not have).
 */
import { readable } from "./html.ts";
import type { Hono } from "hono";
import type { BuildInfo, Manifest } from "../../framework/types.ts";
import appConfig from "../../fresh.config.ts";
import manifest from "../../fresh.gen.ts";
import { createApp } from "../../server/app.ts";
import { call, expectStatus } from "./auth.ts";
import { type TestApp, uniqueIp } from "./test_app.ts";

const DAY = 86_400_000;

/** Hour `h` (UTC) three days ahead; 15Z–23Z lie in one PJM operating day whatever the season. */
export function hourAhead(h: number): string {
  const d = new Date(Date.now() + 3 * DAY);
  d.setUTCHours(h, 0, 0, 0);
  return d.toISOString();
}

/** An hour three days ahead: every zone's DA gate for it is still open. */
export function deliveryHour(offsetHours = 0): string {
  return hourAhead(15 + offsetHours);
}

/** A PJM site at the Western Hub. */
export function pjmSite(name = "Site") {
  return { name, zone: "PJM", node: "WESTERN HUB", latitude: 39.9, longitude: -77.2 };
}

/** A 50 MW / 200 MWh battery (usable 10–95 %, 87 % round trip). */
export function battery(name: string) {
  return {
    name,
    kind: "storage",
    capacity_mw: 50,
    energy_mwh: 200,
    charge_mw: 50,
    discharge_mw: 50,
    round_trip_efficiency: 0.87,
    min_soc: 0.1,
    max_soc: 0.95,
  };
}

/** Creates a PJM site and one asset on it as `token`, asserting both are created. */
export async function siteWithAsset(t: TestApp, token: string, asset: Record<string, unknown>) {
  const site = await call(t, "POST", "/api/sites", { token, body: pjmSite() });
  expectStatus(site, 201);
  const created = await call(t, "POST", "/api/assets", { token, body: { site_id: site.body.id, ...asset } });
  expectStatus(created, 201);
  return { siteId: site.body.id as string, asset: created.body, assetId: created.body.id as string };
}

const pagesBuild: BuildInfo = {
  sourceHash: "test",
  builtAt: new Date(0).toISOString(),
  css: null,
  boot: "/_fresh/boot-test.js",
  // A stand-in bundle for every island, so any page (the market page's chart too) renders.
  islands: Object.fromEntries(
    Object.keys((manifest as Manifest).islands).map((file) => file.replace(/^.*\//, "").replace(/\.tsx?$/, ""))
      .map((name) => [name, `/_fresh/islands/${name}-test.js`]),
  ),
  files: {},
};
const pageApps = new WeakMap<TestApp, Hono>();
function pageApp(t: TestApp): Hono {
  let app = pageApps.get(t);
  if (!app) {
    app = createApp({ services: t.services, manifest: manifest as Manifest, build: pagesBuild, root: appConfig.root });
    pageApps.set(t, app);
  }
  return app;
}

/**
 * A bidding page as a browser without JavaScript asks for it: a GET, or with `form` a POST of that form
 * (with our Origin); signed in when `token` is given.
 */
export async function bidPage(t: TestApp, token: string | null, path: string, form?: Record<string, string>) {
  const headers: Record<string, string> = { accept: "text/html" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    headers.origin = t.origin;
  }
  const req = new Request(new URL(path, t.origin), {
    method: form ? "POST" : "GET",
    headers,
    body: form ? new URLSearchParams(form).toString() : undefined,
    redirect: "manual",
  });
  const info = { remoteAddr: { transport: "tcp", hostname: uniqueIp(), port: 40000 } } as Deno.ServeHandlerInfo;
  const res = await pageApp(t).fetch(req, info);
  return { status: res.status, location: res.headers.get("location"), html: readable(await res.text()) };
}
