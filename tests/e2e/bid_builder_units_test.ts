/**
 * The bid builder for a user who reads prices in ¢/kWh (/settings): the curve's labels say ¢/kWh, a
 * typed 4.125 is sent and stored as 41.25 $/MWh exactly, a price finer than the API holds is refused in
 * plain words, the rules' messages read in ¢/kWh, and a saved draft opened for editing shows 4.125 again.
 * The day grid the same: its price columns say ¢/kWh, a cell's 4.125 goes in the batch as 41.25, and the
 * day opened again shows 4.125.
 */
import assert from "node:assert/strict";
import { addDays, dayHours } from "../../components/day_grid.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { jsonApi, register, ridgeSolar, signIn } from "../helpers/e2e.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

serviceTest("bid builder and day grid in ¢/kWh: labels, exact conversion, plain refusals, loading converts back", [
  "chromium",
], async () => {
  const app = await spawnApp({
    MARKET_BACKFILL_DAYS: "1",
    JWT_SECRET: "e2e-secret-e2e-secret-e2e-secret-e2e-secret",
    ...await appDatabaseEnv("builder_units"),
  });
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const email = `cents-${Date.now()}@example.com`;
    const { access_token } = await register(app.url, { email, name: "Cy Cents", organization_name: "Cent Power" });
    const api = jsonApi(app.url, () => access_token);
    await api("PUT", "/api/auth/me", { preferences: { units: { price: "¢/kWh", energy: "MWh" } } });
    await ridgeSolar(api);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of (400|409)/.test(m.text())) errors.push(m.text());
    });
    const posts: string[] = [];
    const batches: string[] = [];
    page.on("request", (r) => {
      const path = new URL(r.url()).pathname;
      if (r.method() === "POST" && path === "/api/bids") posts.push(r.postData() ?? "");
      if (r.method() === "POST" && path === "/api/bids/batch") batches.push(r.postData() ?? "");
    });
    await page.goto(`${app.url}/bidding`);
    await signIn(page, email, `${app.url}/bidding`);
    await page.waitForSelector("fresh-island[data-island=BidBuilder][data-hydrated]");
    assert.equal((await page.textContent("[data-testid=curve-price-unit]"))?.trim(), "Price ¢/kWh");
    assert.equal(await page.textContent("label[for=bb-price-0]"), "Segment 1 price (¢/kWh)");

    // Finer than the API's cent per MWh: refused with a plain message, nothing sent.
    await page.fill("#bb-price-0", "4.1255");
    await page.fill("#bb-qty-0", "20");
    const err0 = page.locator('[data-field-error="segments.0.price"]');
    await err0.waitFor();
    assert.equal((await err0.textContent())?.trim(), "Segment 1 price can have at most 3 decimals in ¢/kWh");
    await page.click("button[value=save]");
    await page.waitForFunction(() => document.activeElement?.id === "bb-price-0", undefined, { timeout: 5_000 });
    assert.deepEqual(posts, []);

    // The rules' own messages, in the user's unit.
    await page.fill("#bb-price-0", "4.125");
    await err0.waitFor({ state: "detached" });
    await page.click("text=+ Add segment");
    await page.fill("#bb-price-1", "3.5");
    await page.fill("#bb-qty-1", "10");
    const err1 = page.locator('[data-field-error="segments.1.price"]');
    await err1.waitFor();
    assert.match(await err1.textContent() ?? "", /3\.5 ¢\/kWh is below segments\.0\.price 4\.125 ¢\/kWh/);
    assert.doesNotMatch(await err1.textContent() ?? "", /\$/);

    await page.fill("#bb-price-1", "4.135");
    await err1.waitFor({ state: "detached" });
    await page.click("button[value=save]");
    await page.waitForSelector("[data-testid=builder-outcome]:has-text('Draft saved')");
    assert.equal(posts.length, 1);
    // Exactly 41.25 and 41.35 (4.135 * 10 is 41.349999… in floats).
    assert.deepEqual(JSON.parse(posts[0]).segments, [{ price: 41.25, quantity: 20 }, { price: 41.35, quantity: 10 }]);
    const href = await page.getAttribute("[data-testid=builder-outcome] a", "href");
    const bidId = href!.split("/").pop()!;
    const stored = await api("GET", `/api/bids/${bidId}`);
    assert.deepEqual(stored.segments, [{ price: 41.25, quantity: 20 }, { price: 41.35, quantity: 10 }]);

    // Editing the draft shows its prices in ¢/kWh again, and saving it unchanged stores the same prices.
    await page.goto(`${app.url}/bidding?edit=${bidId}`);
    await page.waitForSelector("fresh-island[data-island=BidBuilder][data-hydrated]");
    assert.equal(await page.inputValue("#bb-price-0"), "4.125");
    assert.equal(await page.inputValue("#bb-price-1"), "4.135");
    await page.fill("#bb-qty-1", "12");
    await page.click("button[value=save]");
    await page.waitForSelector("[data-testid=builder-outcome]:has-text('Draft saved')");
    const edited = await api("GET", `/api/bids/${bidId}`);
    assert.deepEqual(edited.segments, [{ price: 41.25, quantity: 20 }, { price: 41.35, quantity: 12 }]);
    await page.screenshot({ path: "/tmp/units-builder-1280.png", fullPage: false });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator("#builder").screenshot({ path: "/tmp/units-builder-390.png" });

    // The day grid opens on the first open day, which holds the builder's draft: its prices come in ¢/kWh.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${app.url}/bidding/day`);
    await page.waitForSelector("fresh-island[data-island=DayGrid][data-hydrated]");
    const cell = (r: number, c: number) => `[data-cell="${r}:${c}"]`;
    const draftStart = Date.parse(stored.interval_start);
    const draftDay = await page.inputValue("#dg-date");
    const draftRow = dayHours("PJM", draftDay).findIndex((h) => Date.parse(h.start) === draftStart);
    assert.ok(draftRow >= 0, `the draft is on the grid's first day ${draftDay}`);
    const valueIs = (sel: string, v: string) =>
      page.waitForFunction(([s, v]) => (document.querySelector(s) as HTMLInputElement)?.value === v, [sel, v], {
        timeout: 10_000,
      });
    await valueIs(cell(draftRow, 0), "4.125");
    await valueIs(cell(draftRow, 2), "4.135");
    assert.match(await page.textContent("[data-testid=dg-table] thead") ?? "", /¢\/kWh 1/);
    assert.doesNotMatch(await page.textContent("[data-testid=dg-table] thead") ?? "", /\$\/MWh/);

    // The next day, from a clear grid: typed in ¢/kWh, sent as $/MWh.
    const date = addDays(draftDay, 1);
    const hours = dayHours("PJM", date);
    await page.click("[data-action=clear]");
    await page.fill("#dg-date", date);
    await page.waitForFunction((n) => document.querySelectorAll("tr[data-row]").length === n, hours.length);
    await page.fill(cell(4, 0), "4.1255");
    await page.fill(cell(4, 1), "10");
    await page.waitForSelector("[data-row-issues='4']:has-text('at most 3 decimals in ¢/kWh')");
    await page.fill(cell(4, 0), "4.125");
    await page.waitForSelector("[data-row-issues='4']", { state: "detached" });
    await page.click("[data-action=submit-day]");
    await page.waitForSelector("[data-testid=dg-outcome]:has-text('Submitted 1 bids')", { timeout: 15_000 });
    assert.equal(batches.length, 1);
    const sent = JSON.parse(batches[0]).bids;
    assert.deepEqual(sent.map((b: { segments: unknown }) => b.segments), [[{ price: 41.25, quantity: 10 }]]);
    assert.equal(sent[0].interval_start, hours[4].start);
    // Opened again, the day's bid is back in ¢/kWh.
    await page.reload();
    await page.waitForSelector("fresh-island[data-island=DayGrid][data-hydrated]");
    await valueIs(cell(draftRow, 0), "4.125");
    await page.click("[data-action=clear]");
    await page.fill("#dg-date", date);
    await valueIs(cell(4, 0), "4.125");
    await page.screenshot({ path: "/tmp/units-daygrid-1280.png" });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.stop();
  }
});
