/**
 * The /analytics page in a real browser at 1280 and 390 px over the simulator's backfill: the charts and
 * the heatmap are drawn, nothing scrolls sideways, a panel's "Export CSV" downloads exactly the rows the
 * panel shows, the filters keep their state in the URL, and the portfolio tab opens. Screenshots go to
 * $ANALYTICS_SCREENSHOTS when it is set.
 */
import assert from "node:assert/strict";
import { launchBrowser } from "../helpers/browser.ts";
import { register, signIn } from "../helpers/e2e.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

serviceTest("analytics page: charts drawn, CSV export of a panel, URL state, both widths", ["chromium"], async () => {
  const email = `analytics-${Date.now()}@example.com`;
  const app = await spawnApp({ MARKET_BACKFILL_DAYS: "10", ...await appDatabaseEnv("anpage") });
  const browser = await launchBrowser();
  const shots = Deno.env.get("ANALYTICS_SCREENSHOTS");
  try {
    await app.waitReady();
    const { access_token } = await register(app.url, { email, name: "Ana Lyst", organization_name: "Lyst Power" });
    // Wait for the backfill to reach the present, so the page has ten days of prices to show.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const res = await fetch(`${app.url}/api/market-data/latest?zones=PJM`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      const rt = (await res.json()).items?.[0]?.rt;
      if (rt && Date.now() - Date.parse(rt.interval_start) < 30 * 60_000) break;
      assert.ok(Date.now() < deadline, "the simulator's backfill did not reach the present");
      await new Promise((r) => setTimeout(r, 500));
    }

    for (const width of [1280, 390]) {
      const page = await browser.newPage({ viewport: { width, height: 900 }, acceptDownloads: true });
      const start = `${app.url}/analytics?zone=PJM&market=RT&compare=CAISO`;
      await page.goto(`${app.url}/login?next=${encodeURIComponent(start.slice(app.url.length))}`);
      await signIn(page, email, start);
      for (const chart of ["series", "duration", "spread-hour", "volatility"]) {
        await page.waitForSelector(`[data-chart="${chart}"] [data-drawn="true"] canvas`);
      }
      assert.equal(await page.locator('[data-chart="heatmap"] svg rect').count(), 168, "a cell per weekday and hour");
      const overflow = await page.evaluate(() =>
        document.documentElement.scrollWidth - document.documentElement.clientWidth
      );
      assert.ok(overflow <= 0, `${width} px: the page scrolls sideways by ${overflow} px`);
      assert.match(await page.textContent("[data-engine]") ?? "", /Answered by Postgres/);
      if (shots) {
        await page.screenshot({ path: `${shots}/analytics-market-${width}.png`, fullPage: true });
        // Phone-sized views of the top and of the panels, readable at full size.
        await page.screenshot({ path: `${shots}/analytics-market-${width}-top.png` });
        for (const panel of ["heatmap", "series"]) {
          await page.locator(`[data-chart="${panel}"]`).screenshot({
            path: `${shots}/analytics-${panel}-${width}.png`,
          });
        }
        await page.locator('[data-panel="stats"]').screenshot({ path: `${shots}/analytics-stats-${width}.png` });
      }

      // The correlation panel's export: the table's header and rows, exactly.
      const panel = page.locator('[data-panel="correlation"]');
      const shown = await panel.locator("tr").evaluateAll((rows) =>
        rows.map((r) => [...r.querySelectorAll("th, td")].map((c) => c.textContent ?? ""))
      );
      assert.deepEqual(shown.map((r) => r[0]), ["Zone", "PJM", "CAISO"]);
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        panel.locator("button[data-export]").click(),
      ]);
      const text = await Deno.readTextFile((await download.path())!);
      assert.deepEqual(text.trim().split("\n").map((l) => l.split(",")), shown);
      assert.equal(shown[1][1], "1.000");

      // The heatmap's export: one row per cell drawn.
      const [heat] = await Promise.all([
        page.waitForEvent("download"),
        page.locator('[data-chart="heatmap"] button[data-export]').click(),
      ]);
      assert.equal((await Deno.readTextFile((await heat.path())!)).trim().split("\n").length, 1 + 168);

      // Filters keep their state in the URL.
      await page.selectOption('select[name="market"]', "DA");
      await Promise.all([page.waitForURL(/market=DA/), page.click('button:has-text("Apply")')]);
      assert.match(page.url(), /zone=PJM/);
      assert.match(page.url(), /compare=CAISO/);
      assert.equal(await page.inputValue('select[name="market"]'), "DA");

      await Promise.all([page.waitForURL(/tab=portfolio/), page.click('a:has-text("Portfolio")')]);
      await page.waitForSelector('[data-panel="totals"]');
      if (shots) await page.screenshot({ path: `${shots}/analytics-portfolio-${width}.png`, fullPage: true });
      await page.close();
    }
  } finally {
    await browser.close();
    await app.stop();
  }
});
