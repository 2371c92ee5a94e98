/**
 * Feature flags in a real browser, at 1280 and 390 px: an organization without analytics, strategies and
 * virtual bids sees no Analytics or Strategies link in the navigation and a bid builder with no kind to
 * choose; it still builds a physical bid. Screenshots go to $WIRE_SCREENSHOTS when set.
 */
import assert from "node:assert/strict";
import { launchBrowser } from "../helpers/browser.ts";
import { jsonApi, register, ridgeSolar, signIn } from "../helpers/e2e.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

serviceTest("features switched off leave the navigation and the builder", ["chromium", "postgres"], async () => {
  const email = `wire-${Date.now()}@example.com`;
  // The organization's admin is also the platform admin here, so the test can switch its flags.
  const app = await spawnApp({ ...await appDatabaseEnv("wire"), PLATFORM_ADMINS: email });
  const browser = await launchBrowser();
  const shots = Deno.env.get("WIRE_SCREENSHOTS");
  try {
    await app.waitReady();
    const { access_token } = await register(app.url, { email, name: "Fran Flags", organization_name: "Flagless Co" });
    const api = jsonApi(app.url, () => access_token);
    await ridgeSolar(api);
    const me = await api("GET", "/api/organizations/current");
    for (const key of ["analytics", "strategies", "virtual_bids"]) {
      await api("PUT", `/api/admin/flags/${key}/overrides/${me.id}`, { enabled: false });
    }

    for (const width of [1280, 390]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${app.url}/login?next=/bidding`);
      await signIn(page, email, `${app.url}/bidding`);
      await page.waitForSelector("fresh-island[data-island=BidBuilder][data-hydrated]");
      assert.equal(await page.locator("input[name=kind]").count(), 0, "no kind to choose");
      assert.equal(await page.locator("nav a[href='/analytics'], nav a[href='/strategies']").count(), 0);
      assert.ok(await page.locator("nav a[href='/bidding']").count() > 0);
      await page.fill("#bb-price-0", "25");
      await page.fill("#bb-qty-0", "5");
      await page.click("button[value=save]");
      await page.waitForSelector("[data-testid=builder-outcome]");
      const overflow = await page.evaluate(() =>
        document.documentElement.scrollWidth - document.documentElement.clientWidth
      );
      assert.ok(overflow <= 0, `${width} px: the bidding page scrolls sideways by ${overflow} px`);
      if (shots) await page.screenshot({ path: `${shots}/bidding-flags-off-${width}.png`, fullPage: true });
      const missing = await page.goto(`${app.url}/strategies`);
      assert.equal(missing?.status(), 404);
      assert.deepEqual(errors, []);
      await page.close();
    }
    const bids = await api("GET", "/api/bids");
    assert.equal(bids.items.length, 2);
    assert.ok(bids.items.every((b: { kind: string }) => b.kind === "physical"));
  } finally {
    await browser.close();
    await app.stop();
  }
});
