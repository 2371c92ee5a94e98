/**
 * The forecast in a real browser. On the market page the chart draws the forecast's median and its
 * 10–90 % band for every hour the forecasts API gives, tomorrow's included before its DA prices exist:
 * the band is checked both in the chart's data (hours with a band) and as pixels of the band's colour on
 * the canvas, right of the last RT price. The bid builder shows the forecast of the chosen interval in
 * its forecast field and on its step chart (line and shaded band), and "no forecast for this interval"
 * for an hour no run covers. With E2E_SCREENSHOTS=dir it saves both pages at 1280 and 390 px.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { openPostgres } from "../../services/adapters/postgres.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { jsonApi, register, ridgeSolar, signIn } from "../helpers/e2e.ts";
import { dayShape, insertRun, modelVersion, operatingHours, tomorrowOf } from "../helpers/forecasts.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";
import { addDays } from "../../services/market/clock.ts";

const SHOTS = Deno.env.get("E2E_SCREENSHOTS");

/** The band's colour, PriceChart's rgba(15, 118, 110, 0.16): uPlot's canvas is transparent, the page white. */
const BAND_RGBA = [15, 118, 110, Math.round(0.16 * 255)];

/** Pixels of the band's colour on the chart's canvas, left and right of canvas column `split` (0..1). */
function bandPixels(page: Page, split: number) {
  return page.evaluate(([rgba, split]) => {
    const canvas = document.querySelector<HTMLCanvasElement>("[data-testid=price-chart] canvas");
    if (!canvas) return null;
    const { width, height } = canvas;
    const px = canvas.getContext("2d")!.getImageData(0, 0, width, height).data;
    let left = 0, right = 0;
    for (let i = 0; i < px.length; i += 4) {
      // Only the band alone: where a line crosses it, the colour is the line's.
      const near = [0, 1, 2, 3].every((k) => Math.abs(px[i + k] - rgba[k]) <= 5);
      if (!near) continue;
      if ((i / 4) % width < width * split) left++;
      else right++;
    }
    return { left, right, width, height };
  }, [BAND_RGBA, split] as const);
}

serviceTest("forecast: the band on the market chart, the interval's forecast in the bid builder", [
  "chromium",
  "postgres",
], async () => {
  const dbEnv = await appDatabaseEnv("fcchart");
  const app = await spawnApp({
    MARKET_BACKFILL_DAYS: "1",
    // The runs are the test's own: no live job adding vintages, and no long DA history for it.
    FORECAST_JOB: "off",
    MARKET_DA_HISTORY_DAYS: "2",
    JWT_SECRET: "e2e-secret-e2e-secret-e2e-secret-e2e-secret",
    ...dbEnv,
  });
  const db = await openPostgres(dbEnv.DATABASE_URL, { max: 2 });
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const email = `forecast-${Date.now()}@example.com`;
    const { access_token } = await register(app.url, { email, name: "Fay Caster", organization_name: "Fc Power" });
    const api = jsonApi(app.url, () => access_token);
    await ridgeSolar(api);

    // Yesterday's and today's runs (made the day before each) and tomorrow's (made an hour ago, before tomorrow's DA
    // prices). Yesterday's too: just after the market's midnight, today has no hours before now yet.
    const modelId = await modelVersion(db, "lear-ensemble", 1);
    const tomorrow = tomorrowOf("PJM");
    const today = addDays(tomorrow, -1);
    await insertRun(db, {
      zone: "PJM",
      deliveryDate: addDays(today, -1),
      modelId,
      madeAt: new Date(Date.now() - 50 * 3_600_000),
      hours: dayShape(operatingHours("PJM", addDays(today, -1)), 38, 30),
    });
    // A wide band (± $30), visible whatever the price spikes of the day do to the y scale.
    const tomorrowHours = dayShape(operatingHours("PJM", tomorrow), 45, 30);
    await insertRun(db, {
      zone: "PJM",
      deliveryDate: today,
      modelId,
      madeAt: new Date(Date.now() - 26 * 3_600_000),
      hours: dayShape(operatingHours("PJM", today), 38, 30),
    });
    await insertRun(db, {
      zone: "PJM",
      deliveryDate: tomorrow,
      modelId,
      madeAt: new Date(Date.now() - 3_600_000),
      hours: tomorrowHours,
    });

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    const forecastCalls: string[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname.startsWith("/api/forecasts")) forecastCalls.push(r.url());
    });
    await page.goto(`${app.url}/login`);
    await signIn(page, email, `${app.url}/`);
    await page.goto(`${app.url}/market/PJM`);
    await page.waitForSelector("fresh-island[data-island=PriceChart][data-hydrated]");
    await page.waitForSelector("[data-chart-status=ready]", { timeout: 20_000 });

    // The chart drew every hour the API gives for its range, each with a band.
    assert.equal(forecastCalls.length, 1);
    const res = await fetch(forecastCalls[0], { headers: { authorization: `Bearer ${access_token}` } });
    const { items } = await res.json() as { items: { p10: number | null; p90: number | null }[] };
    assert.ok(items.length >= tomorrowHours.length, `the API gives tomorrow's ${tomorrowHours.length} hours`);
    const chart = page.locator("[data-testid=price-chart]");
    assert.equal(Number(await chart.getAttribute("data-forecast-hours")), items.length);
    assert.equal(
      Number(await chart.getAttribute("data-band-hours")),
      items.filter((i) => i.p10 !== null && i.p90 !== null).length,
    );
    // The legend names the forecast; the caption its run.
    assert.match(await page.textContent(".u-legend") ?? "", /Day-ahead.*Forecast.*10 %.*90 %/s);
    const caption = await page.textContent("[data-testid=forecast-caption]") ?? "";
    // Market time: the run's made-at on PJM's clock, the x axis named after it.
    assert.match(
      caption,
      new RegExp(`Forecast for ${tomorrow} made (\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d E[SD]T by lear-ensemble v1`),
    );
    assert.match(await page.textContent(".u-legend") ?? "", /Market time \(EPT\)/);
    assert.equal(await chart.getAttribute("data-clock"), "EPT");

    // The band as drawn: pixels of its colour, on both sides of now (today's hours and tomorrow's).
    // The x scale runs from 24 h ago to the end of tomorrow's last hour: "now" sits at this share of it.
    const lastHour = tomorrowHours[tomorrowHours.length - 1].start + 3_600_000;
    const split = 24 * 3_600_000 / (lastHour - (Date.now() - 24 * 3_600_000));
    const px = await bandPixels(page, split);
    if (SHOTS) {
      await page.screenshot({ path: `${SHOTS}/fui-market-1280.png`, fullPage: true });
      await page.locator("section[aria-label='Price chart']").screenshot({
        path: `${SHOTS}/fui-market-1280-chart.png`,
      });
    }
    assert.ok(px, "the chart has a canvas");
    // A band $60 high over a day of hours: a thousand pixels and more, not a stray few.
    assert.ok(px.right > 1_000, `band pixels right of now: ${JSON.stringify(px)}`);
    assert.ok(px.left > 300, `band pixels left of now: ${JSON.stringify(px)}`);

    // Phone width: the chart is redrawn to its box, the band still there.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(() => {
      const c = document.querySelector<HTMLCanvasElement>("[data-testid=price-chart] canvas");
      return c && c.getBoundingClientRect().width < 390;
    });
    const narrow = await bandPixels(page, split);
    assert.ok(narrow && narrow.right > 250, `band at 390 px: ${JSON.stringify(narrow)}`);
    if (SHOTS) {
      await page.screenshot({ path: `${SHOTS}/fui-market-390.png`, fullPage: true });
      await page.locator("section[aria-label='Price chart']").screenshot({ path: `${SHOTS}/fui-market-390-chart.png` });
    }

    // The bid builder: DA, an hour of tomorrow's run.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${app.url}/bidding`);
    await page.waitForSelector("fresh-island[data-island=BidBuilder][data-hydrated]");
    await page.fill("#bb-price-0", "30");
    await page.fill("#bb-qty-0", "20");
    const hour = tomorrowHours[14];
    // The builder is on PJM's clock: tomorrow's operating day, its 15th hour (HE15).
    await page.fill("#bb-date", tomorrow);
    await page.selectOption("#bb-hour", "14");
    assert.equal(await page.locator("#bb-hour option:checked").textContent(), "HE15");
    const field = page.locator("[data-testid=forecast]");
    await page.waitForSelector(`[data-testid=forecast][data-forecast=shown]`, { timeout: 10_000 });
    assert.equal(Number(await field.locator("[data-forecast-p50]").getAttribute("data-forecast-p50")), hour.p50);
    const text = (await field.textContent() ?? "").replace(/\s+/g, " ");
    const usd = (v: number) => `$${v.toFixed(2)}`;
    assert.ok(text.includes(`${usd(hour.p50)}/MWh`), text);
    assert.ok(text.includes(`10–90 %: ${usd(hour.p10!)} to ${usd(hour.p90!)}`), text);
    assert.match(text, /made (\d{4}-\d\d-\d\d )?\d\d:\d\d E[SD]T by lear-ensemble v1/);
    // On the step chart: the median as a line, the band shaded.
    const svg = page.locator("[data-testid=curve-chart] svg");
    assert.match(await svg.locator("[data-line=forecast] text").textContent() ?? "", new RegExp(`\\${usd(hour.p50)}`));
    assert.equal(await svg.locator("rect[data-band=forecast]").count(), 1);
    assert.match(await svg.getAttribute("aria-label") ?? "", new RegExp(`Forecast 10–90 % \\${usd(hour.p10!)}`));
    // Tomorrow's DA prices are not out: said on their own line, not passed off as the forecast.
    assert.match(
      await page.textContent("[data-testid=da-price]") ?? "",
      /not published yet|\$[\d.]+\/MWh \(published\)/,
    );
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/fui-bidding-1280.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    if (SHOTS) {
      await page.locator("[data-testid=curve-chart]").scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SHOTS}/fui-bidding-390.png`, fullPage: true });
    }

    // An hour no run covers: said so, nothing drawn for it.
    const later = new Date(hour.start + 3 * 86_400_000).toISOString();
    await page.fill("#bb-date", later.slice(0, 10));
    await page.waitForSelector(`[data-testid=forecast][data-forecast=none]`, { timeout: 10_000 });
    assert.match(await field.textContent() ?? "", /no forecast for this interval/);
    assert.equal(await svg.locator("rect[data-band=forecast]").count(), 0);
    assert.equal(await svg.locator("[data-line=forecast]").count(), 0);

    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await db.close();
    await app.stop();
  }
}, { sanitizeResources: false, sanitizeOps: false });
