/**
 * Market time in a real browser: the bid builder offers the operating day's hours as hour ending on the
 * zone's clock — 23 on the spring DST day (no HE3), 25 on the autumn one (HE2*) — and says the interval and
 * gate in market time; a saved draft reads the same in the list. Screenshots at 390 and 1280 px with
 * E2E_SCREENSHOTS=dir.
 */
import assert from "node:assert/strict";
import { launchBrowser } from "../helpers/browser.ts";
import { jsonApi, register, ridgeSolar, signIn } from "../helpers/e2e.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";
import { addDays } from "../../services/market/clock.ts";
import { operatingDate } from "../../services/market/zones.ts";

const SHOTS = Deno.env.get("E2E_SCREENSHOTS");

serviceTest("market time: the builder's hours on PJM's clock, DST days included", ["chromium"], async () => {
  const app = await spawnApp({
    MARKET_BACKFILL_DAYS: "1",
    JWT_SECRET: "e2e-secret-e2e-secret-e2e-secret-e2e-secret",
    ...await appDatabaseEnv("mtime"),
  });
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const email = `clock-${Date.now()}@example.com`;
    const { access_token } = await register(app.url, { email, name: "Cleo Clock", organization_name: "Clock Power" });
    await ridgeSolar(jsonApi(app.url, () => access_token));
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${app.url}/bidding/`);
    await signIn(page, email, `${app.url}/bidding`);
    await page.waitForSelector("fresh-island[data-island=BidBuilder][data-hydrated]");
    assert.equal(await page.title(), "Bidding · OptiBid");

    const hours = async () => await page.locator("#bb-hour option").allTextContents();
    await page.fill("#bb-date", "2025-03-09");
    await page.waitForFunction(() => document.querySelectorAll("#bb-hour option").length === 23);
    const spring = await hours();
    assert.deepEqual(spring.slice(0, 3), ["HE1", "HE2", "HE4"]);
    assert.ok(!spring.includes("HE3"));
    await page.fill("#bb-date", "2025-11-02");
    await page.waitForFunction(() => document.querySelectorAll("#bb-hour option").length === 25);
    assert.deepEqual((await hours()).slice(0, 4), ["HE1", "HE2", "HE2*", "HE3"]);

    // A day the gate is still open for: the hint says the interval and the gate on the market clock.
    const day = addDays(operatingDate("PJM", new Date()), 2);
    await page.fill("#bb-date", day);
    await page.selectOption("#bb-hour", "16");
    const hint = (await page.textContent("[data-testid=interval-hint]")) ?? "";
    assert.match(hint, new RegExp(`^${day} HE17 E[SD]T · bids close \\d{4}-\\d\\d-\\d\\d 10:30 E[SD]T$`));
    assert.doesNotMatch(await page.textContent("#builder") ?? "", /UTC/);
    await page.fill("#bb-price-0", "30");
    await page.fill("#bb-qty-0", "20");
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/mtime-builder-390.png`, fullPage: true });
    await page.click("button[value=save]");
    await page.waitForSelector("[data-testid=builder-outcome]:has-text('Draft saved')");
    const href = await page.getAttribute("[data-testid=builder-outcome] a", "href");
    await page.goto(`${app.url}${href}`);
    assert.match(await page.textContent("[data-testid=bid-delivery]") ?? "", new RegExp(`^${day} HE17 E[SD]T$`));
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/mtime-bid-390.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${app.url}/bidding`);
    await page.waitForSelector("fresh-island[data-island=BidList][data-hydrated]");
    assert.match(await page.textContent("[data-testid=bid-hour]") ?? "", /^HE17 E[SD]T$/);
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/mtime-bidding-1280.png`, fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.stop();
  }
});
