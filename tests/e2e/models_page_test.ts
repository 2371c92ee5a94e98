/**
 * The /models page in a real browser at desktop and phone widths: the versions with their metrics fit
 * the screen (no sideways scrolling at 390 px), and the operator promotes and rolls back with the
 * page's own buttons, no script needed. Screenshots go to $MODELS_SCREENSHOTS when it is set.
 */
import assert from "node:assert/strict";
import { openPostgres } from "../../services/adapters/postgres.ts";
import { registerModel } from "../../services/models/actions.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { register, signIn } from "../helpers/e2e.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

serviceTest(
  "models page: fits 1280 and 390 px; the operator promotes and rolls back",
  ["chromium", "postgres"],
  async () => {
    const email = `models-op-${Date.now()}@example.com`;
    const dbEnv = await appDatabaseEnv("models");
    assert.ok(dbEnv.DATABASE_URL, "needs a database of its own to register versions into");
    const app = await spawnApp({ OPERATOR_EMAILS: email, ...dbEnv });
    const browser = await launchBrowser();
    const shots = Deno.env.get("MODELS_SCREENSHOTS");
    try {
      await app.waitReady();
      await register(app.url, { email, name: "Olga Operator", organization_name: "Ops Power" });
      const db = await openPostgres(dbEnv.DATABASE_URL);
      try {
        for (const [i, windows] of [[56, 84], [56, 84, 1092, 1456], [56, 84, 728, 1092, 1456]].entries()) {
          await registerModel({ db }, {
            name: "lear-ensemble",
            params: { model: "LEAR ensemble", windows, noiseVariance: "legacy", refit: "lars", intervals: "conformal" },
            training_window: { calibration_windows_days: windows, backtest_from: "2016-12-27", backtest_days: 728 },
            metrics: {
              MAE: 3.6 - i * 0.2,
              RMSE: 6.1,
              sMAPE: 13.2 - i,
              rMAE: 0.49 - i * 0.02,
              coverage: 0.79 + i * 0.01,
            },
          });
        }
        await registerModel({ db }, {
          name: "naive-weekly",
          params: { model: "naive", lag: 7 },
          metrics: { MAE: 7.4 },
        });
      } finally {
        await db.close();
      }

      for (const width of [1280, 390]) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        await page.goto(`${app.url}/login?next=/models`);
        await signIn(page, email, `${app.url}/models`);
        await page.waitForSelector('[data-model="lear-ensemble@3"]');
        const overflow = await page.evaluate(() =>
          document.documentElement.scrollWidth - document.documentElement.clientWidth
        );
        assert.ok(overflow <= 0, `${width} px: the page scrolls sideways by ${overflow} px`);
        assert.match(await page.textContent('[data-model="lear-ensemble@3"] [data-metrics]') ?? "", /rMAE\s*0\.450/);
        if (shots) await page.screenshot({ path: `${shots}/models-${width}.png`, fullPage: true });
        await page.close();
      }

      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${app.url}/login?next=/models`);
      await signIn(page, email, `${app.url}/models`);
      await page.click('[data-model="lear-ensemble@2"] button:has-text("Promote")');
      await page.waitForSelector("text=lear-ensemble v2 is now in production");
      await page.click('[data-model="lear-ensemble@3"] button:has-text("Promote")');
      await page.waitForSelector("text=v2 archived");
      assert.equal(await page.getAttribute('[data-model="lear-ensemble@3"] [data-stage]', "data-stage"), "production");
      await page.click('button:has-text("Roll back lear-ensemble")');
      await page.waitForSelector("text=Rolled back: lear-ensemble v2 is in production again");
      assert.equal(await page.getAttribute('[data-model="lear-ensemble@2"] [data-stage]', "data-stage"), "production");
      if (shots) await page.screenshot({ path: `${shots}/models-after-rollback.png`, fullPage: true });
    } finally {
      await browser.close();
      await app.stop();
    }
  },
  { sanitizeResources: false, sanitizeOps: false },
);
