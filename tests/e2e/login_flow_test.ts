/**
 * Signing in in a real browser: a page that needs a login sends you to
 * /login?next=…, a wrong password shows its error beside the form, the right
 * one brings you back where you were (with the browser's time zone taken as the user's, who had none), and
 * signing out ends the session. With
 * two-factor authentication on, the code step signs in with the code alone.
 */
import assert from "node:assert/strict";
import { launchBrowser } from "../helpers/browser.ts";
import { PASSWORD, register } from "../helpers/e2e.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";
import { totpCode } from "../../services/auth/totp.ts";

serviceTest("login page: redirect to /login?next=, error shown, back to the page after login, logout", [
  "chromium",
], async () => {
  const app = await spawnApp({ MARKET_BACKFILL_DAYS: "1", ...await appDatabaseEnv("login") });
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const email = `e2e-${Date.now()}@example.com`;
    const registered = await register(app.url, { email, name: "Erin Example", organization_name: "E2E Power" });

    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, timezoneId: "America/Chicago" });
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

    // Never chose a zone in /settings: the login form brought the browser's, so pages read on that clock.
    const me = await page.evaluate(() => fetch("/api/auth/me").then((r) => r.json()));
    assert.equal(me.user.preferences.time_zone, "America/Chicago");
    assert.equal(await page.inputValue("select[name=time_zone]"), "America/Chicago");

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

    // Two-factor authentication on (through the API), then the two steps in the browser.
    const bearer = {
      authorization: `Bearer ${registered.access_token}`,
      "content-type": "application/json",
    };
    const setup = await (await fetch(`${app.url}/api/auth/mfa/setup`, { method: "POST", headers: bearer })).json();
    const verifiedAt = Date.now();
    const verify = await fetch(`${app.url}/api/auth/mfa/verify`, {
      method: "POST",
      headers: bearer,
      body: JSON.stringify({ code: totpCode(setup.secret, verifiedAt) }),
    });
    assert.equal(verify.status, 200, await verify.text());
    await page.goto(`${app.url}/login?next=/settings`);
    await page.fill("#f-email", email);
    await page.fill("#f-password", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForSelector("#f-totp_code");
    assert.equal(await page.$("#f-password"), null, "the code step asks for the code only");
    await page.fill("#f-totp_code", totpCode(setup.secret, verifiedAt + 30_000));
    await page.click("button[type=submit]");
    await page.waitForURL(`${app.url}/settings`);
    assert.match(await page.textContent("h1") ?? "", /Settings/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.stop();
  }
});
