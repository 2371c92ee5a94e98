/**
 * The optimise-and-create-bids flow in a real browser: from a battery's page, "Optimise" for a delivery
 * day shows the expected revenue, the schedule drawn by uPlot (the island hydrated, bars and the SoC
 * line on the canvas), and the curves; "Create bids" writes them as drafts in one batch, and the asset
 * page lists them. With E2E_SCREENSHOTS=dir it saves the page at 1280 and 390 px.
 */
import assert from "node:assert/strict";
import { openPostgres } from "../../services/adapters/postgres.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { jsonApi, register, signIn } from "../helpers/e2e.ts";
import { dayShape, insertRun, modelVersion, operatingHours, tomorrowOf } from "../helpers/forecasts.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";
import { addDays } from "../../services/market/clock.ts";

const SHOTS = Deno.env.get("E2E_SCREENSHOTS");

serviceTest("optimise a battery's day in the browser and create its bids as drafts", [
  "chromium",
  "postgres",
], async () => {
  const dbEnv = await appDatabaseEnv("optflow");
  const app = await spawnApp({
    MARKET_BACKFILL_DAYS: "1",
    FORECAST_JOB: "off",
    MARKET_DA_HISTORY_DAYS: "2",
    JWT_SECRET: "e2e-secret-e2e-secret-e2e-secret-e2e-secret",
    ...dbEnv,
  });
  const db = await openPostgres(dbEnv.DATABASE_URL, { max: 2 });
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const email = `optimise-${Date.now()}@example.com`;
    const { access_token } = await register(app.url, { email, name: "Otto Mize", organization_name: "Opt Power" });
    const api = jsonApi(app.url, () => access_token);
    const site = await api("POST", "/api/sites", {
      name: "Harbor",
      zone: "PJM",
      node: "WESTERN HUB",
      latitude: 39.9,
      longitude: -77.1,
    });
    const bess = await api("POST", "/api/assets", {
      site_id: site.id,
      name: "Harbor BESS",
      kind: "storage",
      capacity_mw: 20,
      energy_mwh: 80,
      charge_mw: 20,
      discharge_mw: 20,
      round_trip_efficiency: 0.85,
      min_soc: 0.1,
      max_soc: 0.9,
    });
    // The day after tomorrow, whose DA gate is open whenever this runs.
    const day = addDays(tomorrowOf("PJM"), 1);
    await insertRun(db, {
      zone: "PJM",
      deliveryDate: day,
      modelId: await modelVersion(db, "lear-ensemble", 1),
      madeAt: new Date(Date.now() - 3_600_000),
      hours: dayShape(operatingHours("PJM", day), 45, 8),
    });

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`${app.url}/login?next=/assets/${bess.id}`);
    await signIn(page, email, `${app.url}/assets/${bess.id}`);

    // The asset page's Optimise card: pick the day, optimise.
    await page.fill("#optimise-date", day);
    await page.click("[data-testid=optimise-day] button");
    await page.waitForURL(new RegExp(`/assets/${bess.id}/optimise\\?delivery_date=${day}`));
    await page.waitForSelector("fresh-island[data-island=StorageSchedule][data-hydrated]");
    await page.waitForSelector("[data-testid=schedule-chart][data-status=ready]", { timeout: 20_000 });
    const chart = page.locator("[data-testid=schedule-chart]");
    assert.equal(Number(await chart.getAttribute("data-hours")), operatingHours("PJM", day).length);
    assert.equal(await chart.locator("canvas").count(), 2, "price and schedule charts");
    const legends = await chart.locator(".u-legend").allTextContents();
    assert.match(legends.join(" "), /Forecast.*10 %.*90 %.*Charge.*Discharge.*State of charge/s);
    // Bars and line on the schedule canvas: pixels of the charge and discharge colours.
    const drawn = await page.evaluate(() => {
      const canvas = document.querySelectorAll<HTMLCanvasElement>("[data-testid=schedule-chart] canvas")[1];
      const px = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      let charge = 0, discharge = 0;
      for (let i = 0; i < px.length; i += 4) {
        if (px[i] === 0x2f && px[i + 1] === 0x6f && px[i + 2] === 0xed) charge++;
        if (px[i] === 0xf5 && px[i + 1] === 0x9e && px[i + 2] === 0x0b) discharge++;
      }
      return { charge, discharge };
    });
    assert.ok(drawn.charge > 100 && drawn.discharge > 100, JSON.stringify(drawn));
    const revenue = await page.textContent("[data-testid=expected-revenue]") ?? "";
    assert.match(revenue, /^\$[\d,]+\.\d\d$/);
    const rows = await page.locator("[data-testid=optimise-curves] tbody tr").count();
    assert.ok(rows > 0);
    const tableText = await page.textContent("[data-testid=optimise-curves]") ?? "";
    assert.match(tableText, /Charge bid/);
    assert.match(tableText, /Discharge offer/);
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/optimise-1280.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(() => {
      const c = document.querySelector<HTMLCanvasElement>("[data-testid=schedule-chart] canvas");
      return c && c.getBoundingClientRect().width < 390;
    });
    const overflow = await page.evaluate(() =>
      document.documentElement.scrollWidth - document.documentElement.clientWidth
    );
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at 390 px`);
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/optimise-390.png`, fullPage: true });

    // Create bids: one batch of drafts, then the asset page lists them.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.click("[data-testid=create-bids] button");
    await page.waitForURL(new RegExp(`/assets/${bess.id}\\?done=bids-created`));
    assert.match(await page.textContent("main") ?? "", new RegExp(`${rows} draft bids created`));
    const bids = await api("GET", `/api/bids?asset_id=${bess.id}&limit=100`);
    assert.equal(bids.items.length, rows);
    assert.ok(bids.items.every((b: { status: string }) => b.status === "draft"));
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await db.close();
    await app.stop();
  }
});
