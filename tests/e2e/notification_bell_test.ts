/**
 * The bell in a real browser: a bid submitted through the API makes a notification that raises the unread
 * count live (no reload) and, for a user who chose toasts, shows one; the panel lists it; "Mark all read"
 * clears the count. The /alerts page makes an alert through its form.
 */
import assert from "node:assert/strict";
import { launchBrowser } from "../helpers/browser.ts";
import { deliveryHour } from "../helpers/bids.ts";
import { jsonApi, register, ridgeSolar, signIn } from "../helpers/e2e.ts";
import { freePort } from "../helpers/ports.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

serviceTest("notification bell: live unread count, toast, list, mark all read; alert form", ["chromium"], async () => {
  const app = await spawnApp({
    PORT: String(freePort()),
    MARKET_SOURCE: "off",
    JWT_SECRET: "e2e-secret-e2e-secret-e2e-secret-e2e-secret",
    ...await appDatabaseEnv("bell"),
  });
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const email = `bell-${Date.now()}@example.com`;
    const { access_token } = await register(app.url, { email, name: "Bea Bell", organization_name: "Bell Power" });
    const api = jsonApi(app.url, () => access_token);
    await api("PUT", "/api/notifications/preferences", { preferences: { "bid.status_changed": ["in_app", "toast"] } });
    const asset = await ridgeSolar(api);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${app.url}/login?next=/notifications`);
    await signIn(page, email, `${app.url}/notifications`);
    await page.waitForSelector("[data-testid=bell]");
    assert.equal(await page.locator("[data-testid=bell-count]").count(), 0);
    // The stream is open before the event happens (the bell reads the count, then listens).
    await page.waitForSelector("[data-testid=bell][data-connection=open]", { timeout: 15_000 });

    const bid = await api("POST", "/api/bids", {
      asset_id: asset.id,
      zone: "PJM",
      market: "DA",
      interval_start: deliveryHour(),
      side: "offer",
      segments: [{ price: 20, quantity: 5 }],
    });
    await api("POST", `/api/bids/${bid.id}/submit`, { version: bid.version });

    await page.waitForFunction(
      () => Number(document.querySelector("[data-testid=bell-count]")?.textContent ?? 0) >= 1,
      undefined,
      { timeout: 20_000 },
    );
    await page.waitForSelector("[data-testid=toasts] >> text=Ridge Solar", { timeout: 10_000 });
    await page.click("[data-testid=bell]");
    await page.waitForSelector("[data-testid=bell-panel] >> text=Ridge Solar · PJM DA");
    await page.click("[data-testid=mark-all]");
    await page.waitForFunction(() => !document.querySelector("[data-testid=bell-count]"));

    // The alert form on /alerts.
    await page.goto(`${app.url}/alerts`);
    await page.fill("#f-name", "Evening spike");
    await page.fill("#f-c1_value", "250");
    await page.click("[data-testid=alert-form] button[type=submit]");
    await page.waitForURL(`${app.url}/alerts?done=created`);
    const listed = await page.textContent("[data-testid=alert-list]");
    assert.match(listed ?? "", /Evening spike/);
    assert.match(listed ?? "", /price > \$250/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.stop();
  }
});
