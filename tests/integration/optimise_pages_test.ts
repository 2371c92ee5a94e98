/**
 * The Optimise page as a browser without JavaScript gets it: the asset page offers it for storage only;
 * a day with a forecast renders the expected revenue, the schedule island's data and the curves; every
 * mistake comes back on the page with a 4xx; a viewer sees no "Create bids"; "Create bids" writes the
 * drafts and lands on the asset page with their count; another organization's battery is a 404.
 */
import assert from "node:assert/strict";
import { createOrg, opts, orgWithAllRoles } from "../helpers/auth.ts";
import { battery, bidPage, siteWithAsset } from "../helpers/bids.ts";
import { dayShape, insertRun, modelVersion, operatingHours, tomorrowOf } from "../helpers/forecasts.ts";
import { testApp } from "../helpers/test_app.ts";
import { call, expectStatus } from "../helpers/auth.ts";
import { addDays } from "../../services/market/clock.ts";

Deno.test("optimise page: the day's schedule and curves, its mistakes, create bids, tenant walls", opts, async () => {
  const t = await testApp();
  const { members } = await orgWithAllRoles(t, "optpage");
  const trader = members.trader.tokens.access_token;
  const viewer = members.viewer.tokens.access_token;
  const { assetId, siteId } = await siteWithAsset(t, trader, battery("Page BESS"));
  const solar = await call(t, "POST", "/api/assets", {
    token: trader,
    body: { site_id: siteId, name: "Page PV", kind: "solar", capacity_mw: 5 },
  });
  expectStatus(solar, 201);
  const day = addDays(tomorrowOf("PJM"), 1);
  const db = t.services.db();
  await insertRun(db, {
    zone: "PJM",
    deliveryDate: day,
    modelId: await modelVersion(db, "page-test"),
    madeAt: new Date(),
    hours: dayShape(operatingHours("PJM", day)),
  });

  // The asset page offers Optimise for the battery, not for the solar plant.
  const assetPage = await bidPage(t, trader, `/assets/${assetId}`);
  assert.equal(assetPage.status, 200);
  assert.match(assetPage.html, new RegExp(`action="/assets/${assetId}/optimise"`));
  assert.doesNotMatch((await bidPage(t, trader, `/assets/${solar.body.id}`)).html, /data-testid="optimise-day"/);
  assert.equal((await bidPage(t, trader, `/assets/${solar.body.id}/optimise`)).status, 404);

  // No day asked yet: the form, tomorrow proposed, nothing optimised.
  const blank = await bidPage(t, trader, `/assets/${assetId}/optimise`);
  assert.equal(blank.status, 200);
  assert.match(blank.html, new RegExp(`value="${tomorrowOf("PJM")}"`));
  assert.doesNotMatch(blank.html, /data-testid="expected-revenue"/);

  const path =
    `/assets/${assetId}/optimise?delivery_date=${day}&soc_start=10&soc_end=10&max_cycles=1&degradation_cost=`;
  const shown = await bidPage(t, trader, path);
  assert.equal(shown.status, 200, shown.html.slice(0, 500));
  assert.match(shown.html, /data-testid="expected-revenue"[^>]*>\$[\d,]+\.\d\d</);
  assert.match(shown.html, /data-island="StorageSchedule"/);
  assert.match(shown.html, /Charge bid/);
  assert.match(shown.html, /Discharge offer/);
  assert.match(shown.html, /data-testid="create-bids"/);
  const offered = Number(shown.html.match(/Create (\d+) draft bids/)?.[1]);
  assert.ok(offered > 1, "the button names how many bids it writes");
  assert.equal(shown.html.match(/(Charge bid|Discharge offer)</g)?.length, offered, "one table row per curve");

  // Mistakes come back on the page.
  const bad = await bidPage(t, trader, `/assets/${assetId}/optimise?delivery_date=${day}&soc_start=150`);
  assert.equal(bad.status, 400);
  assert.match(bad.html, /State of charge at the start \(%\) must be from 0 to 100/);
  const nan = await bidPage(t, trader, `/assets/${assetId}/optimise?delivery_date=${day}&max_cycles=lots`);
  assert.equal(nan.status, 400);
  assert.match(nan.html, /Most cycles in the day must be a number/);
  const noForecast = await bidPage(t, trader, `/assets/${assetId}/optimise?delivery_date=${addDays(day, 3)}`);
  assert.equal(noForecast.status, 422);
  assert.match(noForecast.html, /No complete DA price forecast for PJM/);
  const outOfRange = await bidPage(t, trader, `/assets/${assetId}/optimise?delivery_date=${day}&soc_start=5`);
  assert.equal(outOfRange.status, 400);
  assert.match(
    outOfRange.html,
    /soc_start 0.05 is outside the asset&#39;s state-of-charge limits|soc_start 0.05 is outside/,
  );

  // A viewer may look, not create.
  const seen = await bidPage(t, viewer, path);
  assert.equal(seen.status, 200);
  assert.doesNotMatch(seen.html, /data-testid="create-bids"/);
  const refused = await bidPage(t, viewer, `/assets/${assetId}/optimise`, { delivery_date: day });
  assert.equal(refused.status, 403);

  // Another organization's battery does not exist for it.
  const other = await createOrg(t, "optpage-other");
  assert.equal((await bidPage(t, other.admin.tokens.access_token, path)).status, 404);
  const foreignPost = await bidPage(t, other.admin.tokens.access_token, `/assets/${assetId}/optimise`, {
    delivery_date: day,
  });
  assert.equal(foreignPost.status, 404);

  // Create bids: drafts in one batch, then the asset page with their count.
  const created = await bidPage(t, trader, `/assets/${assetId}/optimise`, {
    delivery_date: day,
    soc_start: "10",
    soc_end: "10",
    max_cycles: "1",
    degradation_cost: "",
  });
  assert.equal(created.status, 303, created.html.slice(0, 500));
  const count = Number(new URL(created.location!, t.origin).searchParams.get("count"));
  const listed = await call(t, "GET", `/api/bids?asset_id=${assetId}&limit=100`, { token: trader });
  assert.equal(count, offered);
  assert.equal(listed.body.items.length, count);
  assert.ok(listed.body.items.every((b: { status: string }) => b.status === "draft"));
  const landed = await bidPage(t, trader, created.location!);
  assert.match(landed.html, new RegExp(`${count} draft bids created from the optimised schedule`));
});
