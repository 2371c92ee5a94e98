/**
 * The API reference in a real browser: Scalar renders our OpenAPI document with our configuration (which
 * only applies when Scalar does not mount itself first), nothing is fetched off-site (CSP would refuse it
 * and log an error), and Scalar's hosted services are not offered.
 */
import assert from "node:assert/strict";
import { launchBrowser } from "../helpers/browser.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

serviceTest("API reference: renders the document, fetches nothing off-site, offers no hosted services", [
  "chromium",
], async () => {
  const app = await spawnApp({ MARKET_SOURCE: "off", ...await appDatabaseEnv("apidocs") });
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const offsite: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => {
      if (!r.url().startsWith(app.url) && !r.url().startsWith("data:")) offsite.push(r.url());
    });
    await page.goto(`${app.url}/api/docs`);
    await page.getByRole("heading", { name: "OptiBid API" }).waitFor({ timeout: 15_000 });
    await page.getByText("/api/admin/audit-logs").first().waitFor();
    await page.waitForLoadState("networkidle");
    assert.deepEqual(offsite, [], "nothing fetched off-site");
    assert.deepEqual(errors, [], "no console errors");
    for (const hosted of ["Ask AI", "Generate MCP", "Developer Tools"]) {
      assert.equal(await page.getByText(hosted).count(), 0, `${hosted} is not offered`);
    }
  } finally {
    await browser.close();
    await app.stop();
  }
});
