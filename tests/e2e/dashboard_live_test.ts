/**
 * The dashboard in a real browser: zone tiles go live over the WebSocket, a
 * price pushed by the server moves a tile without a reload, and when the server
 * stops and starts again the page reconnects (or offers Reconnect) and is live again.
 */
import { freePort } from "../helpers/ports.ts";
import assert from "node:assert/strict";
import { launchBrowser } from "../helpers/browser.ts";
import { register, signIn } from "../helpers/e2e.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

serviceTest("dashboard: live tiles, a pushed price shows without reload, recovers after a server restart", [
  "chromium",
], async () => {
  const env = {
    PORT: String(freePort()),
    DATA_DIR: await Deno.makeTempDir({ prefix: "optibid-e2e-live-" }),
    MARKET_BACKFILL_DAYS: "1",
    // The forecast job's DA history is not what this test is about: keep each start's backfill small.
    MARKET_DA_HISTORY_DAYS: "2",
    JWT_SECRET: "e2e-secret-e2e-secret-e2e-secret-e2e-secret",
    // Kept across the restart, as the data folder is.
    ...await appDatabaseEnv("dashboard"),
  };
  let app = await spawnApp(env);
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const email = `live-${Date.now()}@example.com`;
    const { access_token } = await register(app.url, { email, name: "Liv Trader", organization_name: "Live Power" });

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${app.url}/login`);
    await signIn(page, email, `${app.url}/`);
    await page.waitForSelector("[data-testid=zone-tiles] [data-zone=PJM]");
    // The tiles' own socket: the notification bell has one too, which may be open while this one is not yet.
    const pricesOpen = "[data-testid=zone-prices] [data-connection=open]";
    await page.waitForSelector(pricesOpen, { timeout: 15_000 });
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 7));

    // Each push is a newer interval than the last: a tile never moves back to an older one.
    let ahead = 0;
    const push = async (lmp: number) => {
      ahead += 10;
      const start = new Date(Date.now() + ahead * 60_000);
      start.setUTCSeconds(0, 0);
      const r = await fetch(`${app.url}/api/ws/broadcast/price`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${access_token}` },
        body: JSON.stringify({
          ticks: [{
            zone: "PJM",
            market: "RT",
            interval_start: start.toISOString(),
            interval_end: new Date(start.getTime() + 300_000).toISOString(),
            lmp,
            energy: lmp - 1,
            congestion: 0.5,
            loss: 0.5,
          }],
        }),
      });
      assert.equal(r.status, 202, await r.text());
    };
    await push(1234.56);
    await page.waitForFunction(
      () => document.querySelector("[data-zone=PJM] [data-field=rt]")?.textContent === "$1,234.56/MWh",
      undefined,
      { timeout: 10_000 },
    );

    // The server goes away: the page says so.
    await app.stop();
    await page.waitForSelector("[data-connection=reconnecting], [data-connection=failed]", { timeout: 15_000 });

    // It comes back on the same port: the page is live again (by itself, or with Reconnect).
    app = await spawnApp(env);
    await app.waitReady();
    const deadline = Date.now() + 45_000;
    while (!(await page.$(pricesOpen))) {
      if (Date.now() > deadline) throw new Error("the dashboard did not reconnect");
      const retry = await page.$("button:has-text('Reconnect')");
      if (retry) await retry.click();
      await page.waitForTimeout(250);
    }
    await push(777.77);
    await page.waitForFunction(
      () => document.querySelector("[data-zone=PJM] [data-field=rt]")?.textContent === "$777.77/MWh",
      undefined,
      { timeout: 10_000 },
    );
    assert.equal(await page.evaluate(() => (window as unknown as { marker: number }).marker), 7, "no reload");

    // The market page's chart: uPlot comes in a chunk of its own with the first data, and draws.
    await page.goto(`${app.url}/market/PJM`);
    await page.waitForSelector("[data-chart-status=ready]", { timeout: 30_000 });
    await page.waitForSelector("[data-testid=price-chart] canvas");
    if (Deno.env.get("E2E_SCREENSHOTS")) {
      await page.screenshot({ path: `${Deno.env.get("E2E_SCREENSHOTS")}/market.png` });
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.stop();
  }
});
