/**
 * Strategies and four-eyes approval in a real browser, at desktop and phone widths: a trader's strategy
 * runs now and its bids wait for approval (the organization's policy); the admin sees the count in the
 * navigation, approves one and rejects another with a reason, with the page's own buttons (no script).
 * The pages fit 390 px without sideways scrolling. Screenshots go to $STRATEGY_SCREENSHOTS when it is set.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { launchBrowser } from "../helpers/browser.ts";
import { jsonApi, PASSWORD, register, signIn } from "../helpers/e2e.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

async function noSidewaysScroll(page: Page, what: string) {
  const overflow = await page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth
  );
  assert.ok(overflow <= 0, `${what}: the page scrolls sideways by ${overflow} px`);
}

serviceTest(
  "strategies and approvals: run now, approval queue with its count, approve and reject in the browser",
  ["chromium", "postgres"],
  async () => {
    const stamp = Date.now();
    const adminEmail = `appr-admin-${stamp}@example.com`;
    const traderEmail = `appr-trader-${stamp}@example.com`;
    const app = await spawnApp({ ...await appDatabaseEnv("apprui"), MARKET_SOURCE: "off" });
    const browser = await launchBrowser();
    const shots = Deno.env.get("STRATEGY_SCREENSHOTS");
    try {
      await app.waitReady();
      const admin = await register(app.url, {
        email: adminEmail,
        name: "Ada Admin",
        organization_name: "Four Eyes Power",
      });
      const adminApi = jsonApi(app.url, () => admin.access_token);
      const inv = await adminApi("POST", "/api/organizations/current/invitations", {
        email: traderEmail,
        role: "trader",
      });
      const reg = await fetch(`${app.url}/api/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          email: traderEmail,
          password: PASSWORD,
          name: "Tom Trader",
          invitation_token: inv.token,
        }),
      });
      assert.equal(reg.status, 201, await reg.clone().text());
      const trader = await reg.json();
      const traderApi = jsonApi(app.url, () => trader.access_token);
      await adminApi("PUT", "/api/approvals/policy", {
        all_bids: false,
        above_mw: null,
        above_notional: null,
        strategy_bids: true,
        strategies_may_submit: true,
      });
      const site = await traderApi("POST", "/api/sites", {
        name: "Ridge",
        zone: "PJM",
        node: "WESTERN HUB",
        latitude: 39.9,
        longitude: -77.1,
      });
      const asset = await traderApi("POST", "/api/assets", {
        site_id: site.id,
        name: "Ridge Solar",
        kind: "solar",
        capacity_mw: 80,
      });
      const strategy = await traderApi("POST", "/api/strategies", {
        name: "Midday solar offer",
        asset_id: asset.id,
        kind: "fixed_curve",
        lead_minutes: 90,
        submit: true,
        params: {
          side: "offer",
          segments: [{ price: 18, quantity: 30 }, { price: 35, quantity: 20 }],
          hours: [12, 13, 14],
        },
      });

      // The trader runs it now: three bids, each waiting for approval.
      const tp = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await tp.goto(`${app.url}/login?next=/strategies/${strategy.id}`);
      await signIn(tp, traderEmail, `${app.url}/strategies/${strategy.id}`);
      await tp.click('button:has-text("Run now")');
      await tp.waitForSelector("text=Run recorded");
      assert.match(await tp.textContent('[data-testid="strategy-run"]') ?? "", /3 bids \(pending approval\)/);
      // The trader is no approver: no Approvals link.
      assert.equal(await tp.locator('nav a[href="/approvals"]').count(), 0);
      if (shots) await tp.screenshot({ path: `${shots}/strategy-1280.png`, fullPage: true });
      await tp.setViewportSize({ width: 390, height: 900 });
      await tp.reload();
      await noSidewaysScroll(tp, "strategy page at 390 px");
      if (shots) await tp.screenshot({ path: `${shots}/strategy-390.png`, fullPage: true });
      await tp.goto(`${app.url}/strategies`);
      await noSidewaysScroll(tp, "strategies at 390 px");
      if (shots) await tp.screenshot({ path: `${shots}/strategies-390.png`, fullPage: true });
      await tp.close();

      // The admin sees 3 waiting in the navigation, approves one and rejects one with a reason.
      const ap = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await ap.goto(`${app.url}/login?next=/approvals`);
      await signIn(ap, adminEmail, `${app.url}/approvals`);
      assert.equal((await ap.textContent('nav [data-testid="approvals-count"]'))?.trim(), "3");
      assert.equal(await ap.locator('[data-testid="pending-bid"]').count(), 3);
      if (shots) await ap.screenshot({ path: `${shots}/approvals-1280.png`, fullPage: true });
      await ap.locator('[data-testid="pending-bid"]').first().locator('button:has-text("Approve")').click();
      await ap.waitForSelector("text=Approved: the bid went to the market.");
      assert.equal((await ap.textContent('nav [data-testid="approvals-count"]'))?.trim(), "2");
      const second = ap.locator('[data-testid="pending-bid"]').first();
      const rejectedId = await second.getAttribute("data-bid-id");
      await second.locator('input[name="reason"]').fill("HE13 price below our floor");
      await second.locator('button:has-text("Reject")').click();
      await ap.waitForSelector("text=Rejected: its maker sees your reason");
      assert.equal(await ap.locator('[data-testid="pending-bid"]').count(), 1);
      await ap.setViewportSize({ width: 390, height: 900 });
      await ap.reload();
      await noSidewaysScroll(ap, "approvals at 390 px");
      if (shots) await ap.screenshot({ path: `${shots}/approvals-390.png`, fullPage: true });
      await ap.close();

      const rejected = await traderApi("GET", `/api/bids/${rejectedId}`);
      assert.equal(rejected.status, "rejected");
      assert.equal(rejected.reject_reason, "HE13 price below our floor");
      assert.equal(rejected.history.at(-1).actor_email, adminEmail);
    } finally {
      await browser.close();
      await app.stop();
    }
  },
  { sanitizeResources: false, sanitizeOps: false },
);
