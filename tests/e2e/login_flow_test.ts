/**
 * Signing in in a real browser: a page that needs a login sends you to
 * /login?next=…, a wrong password shows its error beside the form, the right
 * one brings you back where you were, and signing out ends the session.
 */
import assert from "node:assert/strict";
import { launchBrowser } from "../helpers/browser.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

const PASSWORD = "granite-Otter-meadow-47!";

serviceTest("login page: redirect to /login?next=, error shown, back to the page after login, logout", [
  "chromium",
], async () => {
  const app = await spawnApp({ MARKET_BACKFILL_DAYS: "1", ...await appDatabaseEnv("login") });
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const email = `e2e-${Date.now()}@example.com`;
    const reg = await fetch(`${app.url}/api/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD, name: "Erin Example", organization_name: "E2E Power" }),
    });
    assert.equal(reg.status, 201, await reg.text());

    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));

    await page.goto(`${app.url}/settings`);
    const url = new URL(page.url());
    assert.equal(url.pathname, "/login");
    assert.equal(url.searchParams.get("next"), "/settings");

    await page.fill("#f-email", email);
    await page.fill("#f-password", "not-the-right-password-1");
    await page.click("button[type=submit]");
    await page.waitForSelector("[role=alert]");
    assert.match(await page.textContent("[role=alert]") ?? "", /Email or password is wrong/);
    // The email stays filled in; the password does not.
    assert.equal(await page.inputValue("#f-email"), email);
    assert.equal(await page.inputValue("#f-password"), "");

    await page.fill("#f-password", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL(`${app.url}/settings`);
    assert.match(await page.textContent("h1") ?? "", /Settings/);
    assert.match(await page.textContent("[data-testid=user-menu]") ?? "", /Erin Example/);

    // The session cookie is HttpOnly: scripts on the page cannot read it.
    assert.equal(await page.evaluate(() => document.cookie), "");
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "ob_at");
    assert.ok(session?.httpOnly);
    assert.equal(session?.sameSite, "Lax");

    await page.click("[data-testid=user-menu]");
    await page.click("text=Sign out");
    await page.waitForURL(`${app.url}/login`);
    await page.goto(`${app.url}/profile`);
    assert.equal(new URL(page.url()).pathname, "/login");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.stop();
  }
});
