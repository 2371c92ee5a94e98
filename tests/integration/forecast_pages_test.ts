/**
 * The market page's forecast, rendered on the server: a viewer's page has no forecast and no error (nor
 * anything that would ask for one); an analyst's page says "none yet" while there is no run and no
 * history, and names the newest run (model version, made-at) once there is one. The bidding page gives
 * the builder the forecast only for readers of forecasts.
 */
import { readable } from "../helpers/html.ts";
import assert from "node:assert/strict";
import type { Hono } from "hono";
import type { BuildInfo, Manifest } from "../../framework/types.ts";
import appConfig from "../../fresh.config.ts";
import manifest from "../../fresh.gen.ts";
import { createApp } from "../../server/app.ts";
import { type Member, opts, orgWithAllRoles } from "../helpers/auth.ts";
import { dayShape, insertDaPrices, insertRun, modelVersion, operatingHours, tomorrowOf } from "../helpers/forecasts.ts";
import { addDays } from "../../services/market/clock.ts";
import { gateClosureUtc } from "../../services/market/zones.ts";
import { testApp, uniqueIp } from "../helpers/test_app.ts";

/** Pages with islands need a client build to render: one that names a bundle for every island. */
function pageApp(services: Awaited<ReturnType<typeof testApp>>["services"]): Hono {
  const islands: Record<string, string> = {};
  for (const file of Object.keys((manifest as Manifest).islands)) {
    const name = file.replace(/^.*\//, "").replace(/\.tsx?$/, "");
    islands[name] = `/_fresh/islands/${name}-test.js`;
  }
  const build: BuildInfo = {
    sourceHash: "test",
    builtAt: new Date(0).toISOString(),
    css: null,
    boot: "/_fresh/boot-test.js",
    islands,
    files: {},
  };
  return createApp({ services, manifest: manifest as Manifest, build, root: appConfig.root });
}

async function html(app: Hono, path: string, member: Member): Promise<string> {
  const req = new Request(new URL(path, "http://localhost"), {
    headers: { accept: "text/html", authorization: `Bearer ${member.tokens.access_token}` },
  });
  const info = { remoteAddr: { transport: "tcp", hostname: uniqueIp(), port: 40000 } } as Deno.ServeHandlerInfo;
  const res = await app.fetch(req, info);
  const text = readable(await res.text());
  assert.equal(res.status, 200, `${path}: ${text.slice(0, 300)}`);
  return text;
}

/** The props the page gave its islands (the state script at the end of the body). */
function islandProps(page: string, island: string): Record<string, unknown> {
  const state = page.match(/<script[^>]*>\s*([^<]*"islands"[^<]*)<\/script>/)?.[1];
  assert.ok(state, "the page has island state");
  const { props } = JSON.parse(state) as { props: Record<string, unknown>[] };
  const i = page.match(new RegExp(`data-island="${island}"[^>]*data-props="(\\d+)"`))?.[1];
  assert.ok(i, `the page has the ${island} island`);
  return props[Number(i)];
}

Deno.test(
  "market page: a viewer gets no forecast and no error; an analyst sees none yet, then the run",
  opts,
  async () => {
    const t = await testApp();
    const app = pageApp(t.services);
    const { members } = await orgWithAllRoles(t, "fcpage");

    // Viewer: the prices, nothing of the forecast, and no way for the chart to ask for one.
    const viewer = await html(app, "/market/ERCOT", members.viewer);
    assert.match(viewer, /data-testid="price-chart"/);
    assert.doesNotMatch(viewer, /forecast-caption|forecast-accuracy|Forecast accuracy/);
    assert.doesNotMatch(viewer, /could not be loaded/);
    assert.equal(islandProps(viewer, "PriceChart").forecast, null);

    // Analyst, a zone with no run and no history: both parts say so.
    const none = await html(app, "/market/ERCOT", members.analyst);
    assert.match(none, /data-forecast="none"[^>]*>No forecast for this zone yet\./);
    assert.match(none, /data-accuracy="none"[^>]*>\s*Not enough history yet/);
    assert.deepEqual(islandProps(none, "PriceChart").forecast, { latest: null });

    // A run for tomorrow (before its DA prices): named with its model version and the time it was made.
    const db = t.services.db();
    const date = tomorrowOf("PJM");
    const madeAt = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000);
    const modelId = await modelVersion(db, "lear-ensemble", 1);
    const runId = await insertRun(db, {
      zone: "PJM",
      deliveryDate: date,
      modelId,
      madeAt,
      hours: dayShape(operatingHours("PJM", date)),
    });
    const shown = await html(app, "/market/PJM", members.trader);
    const caption = shown.match(/data-testid="forecast-caption"[^>]*>(.*?)<\/p>/s)?.[1].replace(/<[^>]+>/g, "");
    // Made-at on PJM's market clock, read from Intl here (not through the page's module).
    const wall = new Intl.DateTimeFormat("en-US", {
      timeZone: "America/New_York",
      hourCycle: "h23",
      hour: "2-digit",
      minute: "2-digit",
      timeZoneName: "short",
    }).formatToParts(madeAt);
    const part = (type: string) => wall.find((p) => p.type === type)!.value;
    assert.ok(caption?.includes(`Forecast for ${date} made`), caption);
    assert.ok(
      caption?.includes(`${part("hour")}:${part("minute")} ${part("timeZoneName")} by lear-ensemble v1`),
      caption,
    );
    assert.match(caption!, /shaded: 10–90 % interval/);
    const latest = (islandProps(shown, "PriceChart").forecast as { latest: { run_id: string } }).latest;
    assert.equal(latest.run_id, runId);
    // Its DA prices have not come: still nothing to measure.
    assert.match(shown, /data-accuracy="none"/);
  },
);

Deno.test("market page: the accuracy card shows the figures of a day forecast before its gate", opts, async () => {
  const t = await testApp();
  const app = pageApp(t.services);
  const { members } = await orgWithAllRoles(t, "fcacc");
  const db = t.services.db();
  // Two days ago on NYISO's clock: forecast before its gate, its DA prices came; errors alternate +5 / −3.
  const date = addDays(tomorrowOf("NYISO"), -3);
  const hours = dayShape(operatingHours("NYISO", date), 50, 8);
  const actual = hours.map((h, i) => h.p50 + (i % 2 ? 5 : -3));
  await insertRun(db, {
    zone: "NYISO",
    deliveryDate: date,
    modelId: await modelVersion(db, "lear-ensemble", 1),
    madeAt: new Date(gateClosureUtc("NYISO", date).getTime() - 3_600_000),
    hours,
  });
  await insertDaPrices(db, "NYISO", hours.map((h, i) => ({ start: h.start, lmp: actual[i] })));
  // The naive forecast's day (the day before or a week before, by weekday): $8 off every hour.
  for (const back of [1, 7]) {
    const naiveHours = operatingHours("NYISO", addDays(date, -back));
    if (naiveHours.length !== hours.length) continue; // a DST day between: no exact hour-for-hour naive
    await insertDaPrices(db, "NYISO", naiveHours.map((start, i) => ({ start, lmp: actual[i] + 8 })));
  }

  const page = await html(app, "/market/NYISO", members.analyst);
  assert.match(page, /data-accuracy="shown"/);
  const fig = (k: string) => page.match(new RegExp(`data-figure="${k}"[^>]*>([^<]+)<`))?.[1];
  const mae = hours.reduce((s, _, i) => s + Math.abs(actual[i] - hours[i].p50), 0) / hours.length;
  const smape = hours.reduce(
    (s, h, i) => s + Math.abs(actual[i] - h.p50) / ((Math.abs(actual[i]) + Math.abs(h.p50)) / 2),
    0,
  ) / hours.length;
  assert.equal(fig("mae"), `$${mae.toFixed(2)}/MWh`);
  assert.equal(fig("smape"), `${(smape * 100).toFixed(1)} %`);
  // Every price within ± $8 of the median: all inside the band.
  assert.equal(fig("coverage"), "100 %");
  if (hours.length === 24) assert.equal(fig("rmae"), (mae / 8).toFixed(3));
  assert.match(page, new RegExp(`1 day \\(${hours.length} hours\\) in the last 30`));
});

Deno.test("bidding page: the builder is told that a trader reads forecasts", opts, async () => {
  const t = await testApp();
  const app = pageApp(t.services);
  const { members } = await orgWithAllRoles(t, "fcbid");
  const trader = await html(app, "/bidding", members.trader);
  assert.equal(islandProps(trader, "BidBuilder").canForecast, true);
});
