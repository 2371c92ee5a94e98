/**
 * The bidding page in a real browser, at phone width: a curve with decreasing offer prices is refused
 * beside the field before anything is sent; fixed, it is saved (with an Idempotency-Key) and submitted,
 * and shows in the list as submitted. An alert from the realtime hub makes the list fetch itself again
 * without a reload. The bid's page shows its history, and its Withdraw button works as a plain form. A
 * draft's Edit opens the builder with it: a change made meanwhile elsewhere is a clear 409, and after a
 * reload the edit is saved (PUT with the version read), shows on the bid's page, and can be submitted.
 */
import assert from "node:assert/strict";
import { launchBrowser } from "../helpers/browser.ts";
import { jsonApi, register, ridgeSolar, signIn } from "../helpers/e2e.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

serviceTest("bidding: live validation, save and submit, live list, detail with history, no-JS withdraw, edit", [
  "chromium",
], async () => {
  const app = await spawnApp({
    MARKET_BACKFILL_DAYS: "1",
    JWT_SECRET: "e2e-secret-e2e-secret-e2e-secret-e2e-secret",
    ...await appDatabaseEnv("builder"),
  });
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const email = `bidder-${Date.now()}@example.com`;
    const { access_token } = await register(app.url, { email, name: "Bea Bidder", organization_name: "Bid Power" });
    const api = jsonApi(app.url, () => access_token);
    const asset = await ridgeSolar(api);

    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      // The browser logs every 4xx it fetched; the ones this test provokes on purpose are not errors.
      if (m.type() === "error" && !/status of (400|409)/.test(m.text())) errors.push(m.text());
    });
    const bidCalls: { method: string; path: string; key: string | null; body: string | null }[] = [];
    page.on("request", (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith("/api/bids")) {
        bidCalls.push({
          method: r.method(),
          path: u.pathname,
          key: r.headers()["idempotency-key"] ?? null,
          body: r.postData(),
        });
      }
    });

    await page.goto(`${app.url}/bidding`);
    assert.equal(new URL(page.url()).pathname, "/login");
    await signIn(page, email, `${app.url}/bidding`);
    await page.waitForSelector("fresh-island[data-island=BidBuilder][data-hydrated]");
    await page.waitForSelector("fresh-island[data-island=BidList][data-hydrated]");
    await page.waitForSelector("[data-testid=bid-list-empty]");
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    assert.equal(await page.inputValue("#bb-asset"), asset.id);
    assert.match(await page.textContent("[data-testid=asset-zone]") ?? "", /Zone PJM/);
    assert.ok(await page.isDisabled("input[name=side][value=bid]"), "a solar asset can only offer");

    // A curve whose second price is below the first: refused beside that field, nothing sent.
    await page.fill("#bb-price-0", "30");
    await page.fill("#bb-qty-0", "20");
    await page.click("text=+ Add segment");
    await page.fill("#bb-price-1", "25");
    await page.fill("#bb-qty-1", "10");
    const priceError = page.locator('[data-field-error="segments.1.price"]');
    await priceError.waitFor();
    assert.match(
      await priceError.textContent() ?? "",
      /segments\.1\.price \$25\/MWh is below segments\.0\.price.*must not decrease/,
    );
    assert.equal(await page.getAttribute("#bb-price-1", "aria-invalid"), "true");
    // The message sits right under the row with the field (not somewhere else on the page).
    const row = await page.locator("[data-row='1']").boundingBox();
    const msg = await priceError.boundingBox();
    assert.ok(row && msg && msg.y >= row.y + row.height - 1 && msg.y - (row.y + row.height) < 40, "beside its field");
    // Saving is refused in the browser too.
    await page.click("button[value=save]");
    // The first wrong field gets the focus.
    await page.waitForFunction(() => document.activeElement?.id === "bb-price-1", undefined, { timeout: 5_000 });
    assert.deepEqual(bidCalls.filter((c) => c.method !== "GET"), [], "no request for an invalid bid");
    // The chart draws what was typed: two steps.
    assert.equal(await page.getAttribute("[data-testid=curve-chart]", "data-points"), "4");

    await page.fill("#bb-price-1", "45");
    await priceError.waitFor({ state: "detached" });
    assert.equal(await page.locator("[data-field-error]").count(), 0);
    // The latest price (from /api/market-data/latest) is drawn as a line; no forecast is made up.
    await page.waitForSelector("[data-testid=curve-chart] [data-line=latest]");
    await page.waitForSelector("[data-testid=forecast]:not([data-forecast=loading])");
    assert.match(
      await page.textContent("[data-testid=forecast]") ?? "",
      /no forecast for this interval|DA forecast of/,
    );

    await page.click("button[value=save]");
    await page.waitForSelector("[data-testid=builder-outcome]:has-text('Draft saved')");
    await page.click("button[value=submit]");
    await page.waitForSelector("[data-testid=builder-outcome]:has-text('Bid submitted')");
    const href = await page.getAttribute("[data-testid=builder-outcome] a", "href");
    const bidId = href!.split("/").pop()!;
    const writes = bidCalls.filter((c) => c.method !== "GET");
    assert.deepEqual(writes.map((c) => `${c.method} ${c.path}`), ["POST /api/bids", `POST /api/bids/${bidId}/submit`]);
    assert.match(writes[0].key ?? "", UUID, "create carries an Idempotency-Key");
    assert.match(writes[1].key ?? "", UUID);
    assert.notEqual(writes[0].key, writes[1].key);
    assert.deepEqual(JSON.parse(writes[0].body!).segments, [{ price: 30, quantity: 20 }, { price: 45, quantity: 10 }]);

    // The list shows it as submitted, without a reload.
    await page.waitForSelector(`[data-bid-id="${bidId}"] [data-bid-status=submitted]`);

    // A bid the page does not know about, then an alert as the clearing job sends them: the list fetches again.
    // An hour after the submitted one: that bid stays live while the asset shrinks below it (an asset's live
    // bids must fit it together, services/bids/feasibility.ts), so this one could not be submitted beside it.
    const other = await api("POST", "/api/bids", {
      asset_id: asset.id,
      zone: "PJM",
      market: JSON.parse(writes[0].body!).market,
      interval_start: new Date(Date.parse(JSON.parse(writes[0].body!).interval_start) + 3_600_000).toISOString(),
      side: "offer",
      segments: [{ price: 10, quantity: 5 }],
    });
    await page.waitForSelector("[data-connection=open]", { timeout: 15_000 });
    await api("POST", "/api/ws/broadcast/alert", { level: "info", title: "Bid cleared", message: "Bid 1234 cleared" });
    await page.waitForSelector("[data-alert=info]:has-text('Bid cleared')");
    await page.waitForSelector(`[data-bid-id="${other.id}"] [data-bid-status=draft]`, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { marker: number }).marker), 42, "no reload");
    await page.click("[data-alert=info] [data-dismiss-alert]");
    await page.waitForSelector("[data-alert=info]", { state: "detached" });

    // What only the server knows is shown beside the field too: the asset shrank since the page loaded.
    await api("PUT", `/api/assets/${asset.id}`, {
      site_id: asset.site_id,
      name: "Ridge Solar",
      kind: "solar",
      capacity_mw: 10,
    });
    await page.waitForTimeout(2_100); // the server's asset cache (2 s)
    await page.fill("#bb-qty-0", "12");
    await page.click("button[value=save]");
    const serverError = page.locator('[data-field-error="segments"]');
    await serverError.waitFor();
    assert.match(
      await serverError.textContent() ?? "",
      /segments total 22 MW, more than the asset's capacity of 10 MW/,
    );
    assert.equal(bidCalls.filter((c) => c.method === "POST" && c.path === "/api/bids").length, 2);

    // The detail page, wide: fields, curve and history (who, from → to).
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.click(`[data-bid-id="${bidId}"] a`);
    await page.waitForURL(`${app.url}/bidding/${bidId}`);
    const history = page.locator("[data-testid=bid-history] li");
    assert.equal(await history.count(), 2);
    assert.equal(await history.nth(0).getAttribute("data-history-to"), "draft");
    assert.equal(await history.nth(1).getAttribute("data-history-to"), "submitted");
    assert.match(
      await history.nth(1).textContent() ?? "",
      new RegExp(`draft.*submitted.*by ${email.replace(".", "\\.")}`),
    );
    assert.match(await page.textContent("[data-testid=bid-fields]") ?? "", /Ridge Solar/);
    assert.equal(await page.locator("[data-testid=bid-curve] tbody tr").count(), 2);
    assert.match(await page.textContent("[data-testid=bid-award]") ?? "", /Not cleared yet/);

    // Withdraw is a plain form post (works without JavaScript): back on the page with the new state.
    await page.click("button[data-action=withdraw]");
    await page.waitForURL(`${app.url}/bidding/${bidId}?done=withdrawn`);
    assert.equal(await history.count(), 3);
    assert.equal(await history.nth(2).getAttribute("data-history-to"), "withdrawn");
    assert.equal(await page.locator("header [data-bid-status=withdrawn]").count(), 1);
    assert.equal(await page.locator("button[data-action]").count(), 0, "nothing more to do with it");

    // Filters are a GET form: status=withdrawn lists just that bid.
    await page.goto(`${app.url}/bidding?status=withdrawn`);
    await page.waitForSelector(`[data-bid-id="${bidId}"]`);
    assert.equal(await page.locator("[data-bid-id]").count(), 1);
    assert.equal(await page.inputValue("select[name=status]"), "withdrawn");

    // Editing a draft, at phone width: its page's Edit opens the builder with the draft in it.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${app.url}/bidding/${other.id}`);
    await page.click("[data-testid=edit-draft]");
    await page.waitForURL(`${app.url}/bidding?edit=${other.id}#builder`);
    await page.waitForSelector("fresh-island[data-island=BidBuilder][data-hydrated]");
    assert.equal(await page.inputValue("#bb-asset"), asset.id);
    assert.equal(await page.inputValue("#bb-price-0"), "10");
    assert.equal(await page.inputValue("#bb-qty-0"), "5");
    assert.equal(await page.locator("#bb-price-1").count(), 0);
    assert.match(await page.textContent("#builder h2") ?? "", /Edit draft/);

    // Someone else changes the draft meanwhile: saving is a 409, said plainly, and nothing is overwritten.
    await api("PUT", `/api/bids/${other.id}`, {
      asset_id: asset.id,
      zone: "PJM",
      market: other.market,
      interval_start: other.interval_start,
      side: "offer",
      segments: [{ price: 11, quantity: 5 }],
      version: 1,
    });
    await page.fill("#bb-price-0", "12");
    await page.click("button[value=save]");
    const outcome = page.locator("[data-testid=builder-outcome]");
    await outcome.waitFor();
    assert.match(
      await outcome.textContent() ?? "",
      /changed by someone else since you opened it \(it is now version 2\)/,
    );
    assert.equal(await outcome.getAttribute("role"), "alert");
    assert.equal((await api("GET", `/api/bids/${other.id}`)).segments[0].price, 11);

    // Reloaded, it shows their change; edited again and saved with the version now read.
    await page.click("[data-testid=reload-draft]");
    await page.waitForSelector("fresh-island[data-island=BidBuilder][data-hydrated]");
    assert.equal(await page.inputValue("#bb-price-0"), "11");
    await page.fill("#bb-price-0", "12");
    await page.click("text=+ Add segment");
    await page.fill("#bb-price-1", "20");
    await page.fill("#bb-qty-1", "3");
    await page.click("button[value=save]");
    await page.waitForSelector("[data-testid=builder-outcome]:has-text('Draft saved')");
    const puts = bidCalls.filter((c) => c.method === "PUT");
    assert.deepEqual(puts.map((c) => c.path), [`/api/bids/${other.id}`, `/api/bids/${other.id}`]);
    assert.equal(JSON.parse(puts[0].body!).version, 1);
    const edit = JSON.parse(puts[1].body!);
    assert.equal(edit.version, 2);
    assert.deepEqual(edit.segments, [{ price: 12, quantity: 5 }, { price: 20, quantity: 3 }]);
    assert.equal(bidCalls.filter((c) => c.method === "POST" && c.path === "/api/bids").length, 2, "no new bid");

    // The bid's page shows the new curve, still a draft.
    await page.click("[data-testid=builder-outcome] a");
    await page.waitForURL(`${app.url}/bidding/${other.id}`);
    const curve = page.locator("[data-testid=bid-curve] tbody tr");
    assert.equal(await curve.count(), 2);
    assert.match(await curve.nth(0).textContent() ?? "", /\$12\.00\s*5/);
    assert.match(await curve.nth(1).textContent() ?? "", /\$20\.00\s*3/);
    assert.equal(await page.locator("header [data-bid-status=draft]").count(), 1);
    assert.match(await page.textContent("[data-testid=bid-history]") ?? "", /curve edited/);

    // Edit again and submit straight away: saved, then submitted, with the version each step returned.
    await page.click("[data-testid=edit-draft]");
    await page.waitForSelector("fresh-island[data-island=BidBuilder][data-hydrated]");
    await page.fill("#bb-qty-1", "4");
    await page.click("button[value=submit]");
    await page.waitForSelector("[data-testid=builder-outcome]:has-text('Bid submitted')");
    assert.equal(new URL(page.url()).search, "", "the builder no longer holds the draft");
    const submitted = await api("GET", `/api/bids/${other.id}`);
    assert.equal(submitted.status, "submitted");
    assert.deepEqual(submitted.segments, [{ price: 12, quantity: 5 }, { price: 20, quantity: 4 }]);
    const last = bidCalls.filter((c) => c.method !== "GET").slice(-2);
    assert.deepEqual(last.map((c) => `${c.method} ${c.path}`), [
      `PUT /api/bids/${other.id}`,
      `POST /api/bids/${other.id}/submit`,
    ]);
    assert.equal(JSON.parse(last[0].body!).version, 3);
    assert.equal(JSON.parse(last[1].body!).version, 4);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.stop();
  }
});

serviceTest("bidding without JavaScript: the list and filters render, a draft is submitted and deleted by forms", [
  "chromium",
], async () => {
  const app = await spawnApp({
    MARKET_BACKFILL_DAYS: "1",
    JWT_SECRET: "e2e-secret-e2e-secret-e2e-secret-e2e-secret",
    ...await appDatabaseEnv("nojs"),
  });
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const email = `nojs-${Date.now()}@example.com`;
    const { access_token } = await register(app.url, {
      email,
      name: "Noah Script",
      organization_name: "Plain Power",
    });
    const api = jsonApi(app.url, () => access_token);
    const site = await api("POST", "/api/sites", {
      name: "S",
      zone: "ERCOT",
      node: "HB_NORTH",
      latitude: 32,
      longitude: -97,
    });
    const asset = await api("POST", "/api/assets", {
      site_id: site.id,
      name: "Batt",
      kind: "storage",
      capacity_mw: 20,
      energy_mwh: 40,
      charge_mw: 20,
      discharge_mw: 20,
      round_trip_efficiency: 0.9,
      min_soc: 0.1,
      max_soc: 0.9,
    });
    const start = new Date(Math.ceil((Date.now() + 3 * 3_600_000) / 3_600_000) * 3_600_000).toISOString();
    const draft = (price: number) =>
      api("POST", "/api/bids", {
        asset_id: asset.id,
        zone: "ERCOT",
        market: "RT",
        interval_start: start,
        side: "bid",
        segments: [{ price, quantity: 5 }],
      });
    const a = await draft(30);
    const b = await draft(20);

    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${app.url}/login?next=/bidding`);
    await signIn(page, email, `${app.url}/bidding`);
    assert.equal(await page.locator("[data-bid-id]").count(), 2);
    assert.equal(await page.locator("[data-testid=bid-builder]").count(), 1, "the builder is server-rendered too");

    await page.selectOption("select[name=zone]", "ERCOT");
    await page.selectOption("select[name=status]", "draft");
    await page.click("[data-testid=bid-filters] button[type=submit]");
    await page.waitForURL(/status=draft/);
    assert.equal(await page.locator("[data-bid-id]").count(), 2);

    await page.goto(`${app.url}/bidding/${a.id}`);
    await page.click("button[data-action=submit]");
    await page.waitForURL(`${app.url}/bidding/${a.id}?done=submitted`);
    assert.equal(await page.locator("header [data-bid-status=submitted]").count(), 1);

    await page.goto(`${app.url}/bidding/${b.id}`);
    await page.click("button[data-action=delete]");
    await page.waitForURL(`${app.url}/bidding?done=deleted`);
    assert.equal(await page.locator("[data-bid-id]").count(), 1);

    // The builder is a plain form too: a row added by a post, then submitted.
    await page.goto(`${app.url}/bidding`);
    await page.check("input[name=side][value=bid]");
    await page.fill("#bb-price-0", "35");
    await page.fill("#bb-qty-0", "4");
    await page.click("button[value=add_row]");
    await page.waitForSelector("#bb-price-1");
    assert.equal(await page.inputValue("#bb-price-1"), "35");
    assert.equal(await page.isChecked("input[name=side][value=bid]"), true, "the form is kept");
    await page.fill("#bb-price-1", "40");
    await page.fill("#bb-qty-1", "4");
    await page.click("button[value=submit]");
    // Bid prices must not increase: refused beside the field, by the server this time.
    await page.waitForSelector('[data-field-error="segments.1.price"]');
    assert.match(await page.textContent('[data-field-error="segments.1.price"]') ?? "", /bid prices must not increase/);
    await page.fill("#bb-price-1", "25");
    await page.click("button[value=submit]");
    await page.waitForURL(/\/bidding\/[0-9a-f-]{36}\?done=submitted$/);
    assert.equal(await page.locator("header [data-bid-status=submitted]").count(), 1);

    // A stale page: the draft changed meanwhile (version 1 → 2), so its Submit answers 409 with the reason.
    const c = await draft(25);
    await page.goto(`${app.url}/bidding/${c.id}`);
    await api("PUT", `/api/bids/${c.id}`, {
      asset_id: asset.id,
      zone: "ERCOT",
      market: "RT",
      interval_start: start,
      side: "bid",
      segments: [{ price: 26, quantity: 5 }],
      version: 1,
    });
    await page.click("button[data-action=submit]");
    assert.match(await page.textContent("[data-testid=action-error]") ?? "", /changed since you read it/);
    await context.close();
  } finally {
    await browser.close();
    await app.stop();
  }
});
