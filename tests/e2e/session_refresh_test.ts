/**
 * An open page outlives its access token: the app runs with 3-second tokens, and once the browser has
 * dropped the expired access cookie, the bid list still refreshes and "Save draft" still saves (each
 * renews the session with the refresh cookie and retries), with no "HTTP 401" anywhere. Then the session
 * is ended from another tab (sign out): saving shows the sign-in prompt and keeps everything typed; after
 * signing in again in the tab the prompt opens, the same save goes through.
 *
 * With E2E_SCREENSHOTS=<dir>, screenshots of the bidding page and of the prompt are written there at
 * 1280 and 390 px.
 */
import assert from "node:assert/strict";
import type { BrowserContext, Page } from "playwright-core";
import { launchBrowser } from "../helpers/browser.ts";
import { jsonApi, register, ridgeSolar, signIn } from "../helpers/e2e.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

const shots = Deno.env.get("E2E_SCREENSHOTS");

async function shoot(page: Page, name: string) {
  if (!shots) return;
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width > 600 ? 900 : 844 });
    await page.screenshot({ path: `${shots}/${name}-${width}.png`, fullPage: width > 600 });
  }
}

/** Waits (without a fixed sleep) until the browser has dropped the expired access cookie. */
async function accessCookieExpired(context: BrowserContext) {
  for (;;) {
    const cookies = await context.cookies();
    assert.ok(cookies.some((c) => c.name === "ob_rt"), "the session's refresh cookie is still there");
    if (!cookies.some((c) => c.name === "ob_at")) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

Deno.test("a page keeps working past its access token; a session ended elsewhere asks to sign in", async () => {
  const app = await spawnApp({
    ACCESS_TOKEN_TTL_S: "3",
    MARKET_BACKFILL_DAYS: "1",
    // The forecast job's half year of DA history is not what this test is about, and on the embedded
    // database's one connection it queues this test's requests behind it on a busy machine.
    MARKET_DA_HISTORY_DAYS: "2",
    JWT_SECRET: "e2e-secret-e2e-secret-e2e-secret-e2e-secret",
  });
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const email = `renewer-${Date.now()}@example.com`;
    const registered = await register(app.url, {
      email,
      name: "Rene Renewer",
      organization_name: "Renew Power",
    });
    assert.equal(registered.expires_in, 3);
    let refreshToken = registered.refresh_token;
    /** The setup's own API calls: a fresh token pair for each (tokens last 3 s). */
    const api = jsonApi(app.url, async () => {
      const r = await fetch(`${app.url}/api/auth/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
      const pair = await r.json();
      assert.equal(r.status, 200, JSON.stringify(pair));
      refreshToken = pair.refresh_token;
      return pair.access_token;
    });
    await ridgeSolar(api);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    const answers: { method: string; path: string; status: number }[] = [];
    page.on("response", (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith("/api/")) {
        answers.push({ method: r.request().method(), path: u.pathname, status: r.status() });
      }
    });
    const noHttp401 = async () => assert.doesNotMatch(await page.textContent("body") ?? "", /HTTP 401/);

    await page.goto(`${app.url}/bidding`);
    await signIn(page, email, `${app.url}/bidding`);
    await page.waitForSelector("fresh-island[data-island=BidBuilder][data-hydrated]");
    await page.waitForSelector("fresh-island[data-island=BidList][data-hydrated]");
    await page.fill("#bb-price-0", "31");
    await page.fill("#bb-qty-0", "12");

    // Past the token's life: the list refreshes (as after a bid alert) without an error.
    await accessCookieExpired(context);
    const before = await page.getAttribute("[data-testid=list-refreshed]", "data-refreshed");
    await page.evaluate(() => dispatchEvent(new CustomEvent("optibid:bids-changed")));
    await page.waitForFunction(
      (prev) => document.querySelector("[data-testid=list-refreshed]")?.getAttribute("data-refreshed") !== prev,
      before,
    ).catch(async (e) => {
      const shown = await page.textContent("[data-testid=bid-list], main").catch(() => "");
      throw new Error(`${e.message}\nAPI answers: ${JSON.stringify(answers)}\npage: ${shown?.slice(0, 600)}`);
    });
    await noHttp401();
    assert.ok(
      answers.some((a) => a.path === "/api/bids" && a.status === 401) &&
        answers.some((a) => a.path === "/api/auth/refresh" && a.status === 204),
      `the list met the expired token and renewed the session: ${JSON.stringify(answers)}`,
    );

    // Past it again: Save draft saves.
    await accessCookieExpired(context);
    const refreshes = answers.filter((a) => a.path === "/api/auth/refresh").length;
    await page.click("button[value=save]");
    await page.waitForSelector("[data-testid=builder-outcome]:has-text('Draft saved')");
    assert.ok(answers.filter((a) => a.path === "/api/auth/refresh").length > refreshes, "renewed for the save");
    await page.locator("[data-bid-status=draft] >> visible=true").first().waitFor();
    await noHttp401();
    await shoot(page, "bidding");
    await page.setViewportSize({ width: 1280, height: 900 });

    // Signed out in another tab: the session is over. Saving a change asks to sign in and keeps the form.
    const other = await context.newPage();
    await other.goto(`${app.url}/logout`);
    await other.locator("form[action='/logout'] button >> visible=true").first().click();
    await other.waitForURL(/\/login$/);
    await other.close();
    await page.fill("#bb-price-0", "33");
    await page.click("button[value=save]");
    const prompt = page.locator("[data-testid=session-prompt]");
    await prompt.waitFor();
    assert.match(await prompt.textContent() ?? "", /session has ended.*Nothing on this page is lost/s);
    assert.equal(await page.getAttribute("[data-testid=session-sign-in]", "target"), "_blank");
    assert.equal(await page.getAttribute("[data-testid=session-sign-in]", "href"), "/login?next=%2Fbidding");
    assert.equal(await page.inputValue("#bb-price-0"), "33", "what was typed is still there");
    assert.equal(await page.inputValue("#bb-qty-0"), "12");
    assert.match(await page.textContent("[data-field-error=_form]") ?? "", /session has ended/);
    // The list cannot refresh either, and says why in words.
    await page.evaluate(() => dispatchEvent(new CustomEvent("optibid:bids-changed")));
    await page.waitForSelector("[role=alert]:has-text('Could not refresh the list: your session has ended')");
    await noHttp401();
    await shoot(page, "session-prompt");
    await page.setViewportSize({ width: 1280, height: 900 });

    // Sign in again in the tab the prompt opens; back here, the same save goes through.
    const [login] = await Promise.all([context.waitForEvent("page"), page.click("[data-testid=session-sign-in]")]);
    await login.waitForLoadState();
    await signIn(login, email, `${app.url}/bidding`);
    await login.close();
    await page.bringToFront();
    // Coming back may already have checked the session (focus); else the button does.
    await page.click("[data-testid=session-continue]", { timeout: 2_000 }).catch(() => {});
    await prompt.waitFor({ state: "detached" });
    await page.click("button[value=save]");
    await page.waitForSelector("[data-testid=builder-outcome]:has-text('Draft saved')");
    assert.equal(await page.inputValue("#bb-price-0"), "33");
    await page.waitForSelector("[role=alert]:has-text('Could not refresh the list')", { state: "detached" });
    await noHttp401();
    assert.deepEqual(pageErrors, []);
    await context.close();
  } finally {
    await browser.close();
    await app.stop();
  }
});
