/**
 * The admin console in a real browser, at desktop and phone widths: every /admin page fits the screen
 * (no sideways scrolling at 390 px), the activity feed shows a new audit entry without a reload (pushed
 * over /api/ws/audit, not polled) and keeps to its filters, the system page's figures refresh, and the
 * platform admin suspends an organization with the page's own form. Screenshots go to $ADMIN_SCREENSHOTS when it is set.
 */
import assert from "node:assert/strict";
import { launchBrowser } from "../helpers/browser.ts";
import { jsonApi, register, signIn } from "../helpers/e2e.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

const PAGES = ["/admin", "/admin/activity", "/admin/usage", "/admin/flags", "/admin/organizations", "/admin/system"];

serviceTest(
  "admin pages: fit 1280 and 390 px; live activity; suspend from the page",
  ["chromium", "postgres"],
  async () => {
    const email = `admin-op-${Date.now()}@example.com`;
    const app = await spawnApp({ PLATFORM_ADMINS: email, ...(await appDatabaseEnv("adminpages")) });
    const browser = await launchBrowser();
    const shots = Deno.env.get("ADMIN_SCREENSHOTS");
    try {
      await app.waitReady();
      const tokens = await register(app.url, { email, name: "Olga Operator", organization_name: "Ops Power" });
      const api = jsonApi(app.url, () => tokens.access_token);
      const tenant = await register(app.url, {
        email: `tenant-${Date.now()}@example.com`,
        name: "Tina Tenant",
        organization_name: "Tenant Energy",
      });
      const tenantApi = jsonApi(app.url, () => tenant.access_token);
      await tenantApi("GET", "/api/auth/me");
      const orgs = await api("GET", "/api/admin/organizations?q=Tenant%20Energy");
      const tenantId = orgs.items[0].id as string;
      const pages = [...PAGES, `/admin/organizations/${tenantId}`];

      for (const width of [1280, 390]) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        await page.goto(`${app.url}/login?next=/admin`);
        await signIn(page, email, `${app.url}/admin`);
        for (const path of pages) {
          const res = await page.goto(`${app.url}${path}`);
          assert.equal(res?.status(), 200, path);
          const overflow = await page.evaluate(() =>
            document.documentElement.scrollWidth - document.documentElement.clientWidth
          );
          assert.ok(overflow <= 0, `${width} px ${path}: the page scrolls sideways by ${overflow} px`);
          if (shots) {
            const name = path === "/admin" ? "overview" : path.slice(7).replace(/\/[0-9a-f-]{36}$/, "-detail");
            await page.screenshot({ path: `${shots}/admin-${name}-${width}.png`, fullPage: true });
          }
        }
        await page.close();
      }

      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${app.url}/login?next=/admin/activity`);
      await signIn(page, email, `${app.url}/admin/activity`);
      // The feed's fallback refresh is a minute apart: what shows within seconds came by push.
      const feedReads: { url: string; at: number }[] = [];
      page.on("request", (r) => {
        if (r.url().includes("/api/admin/audit-logs")) feedReads.push({ url: r.url(), at: Date.now() });
      });
      const sockets: string[] = [];
      page.on("websocket", (ws) => sockets.push(new URL(ws.url()).pathname));
      await page.reload();
      await page.waitForSelector('[data-testid="feed-state"][data-state="live"]');
      assert.ok(sockets.includes("/api/ws/audit"), `the feed's socket (${sockets})`);
      await new Promise((r) => setTimeout(r, 500)); // notices of the sign-in itself have come and gone
      const quietFrom = Date.now();
      // Something happens in the organization; the open page shows it without a reload and without a poll.
      const key = await api("POST", "/api/api-keys", { name: "feed probe" });
      const createdAt = Date.now();
      await page.waitForSelector(`[data-action="api_key.created"]:has-text("${key.api_key.id.slice(0, 12)}")`, {
        timeout: 5_000,
      });
      const reads = feedReads.filter((r) => r.at >= quietFrom);
      assert.ok(reads.length >= 1 && reads.every((r) => r.at >= createdAt - 50), JSON.stringify(reads));
      assert.ok(Date.now() - createdAt < 5_000);

      // With a filter, the notice brings only what matches it: an API key is not a sign-in.
      await page.goto(`${app.url}/admin/activity?action=auth.*`);
      await page.waitForSelector('[data-testid="feed-state"][data-state="live"]');
      const filtered = page.waitForResponse((r) =>
        r.url().includes("/api/admin/audit-logs") && r.url().includes("action=auth.")
      );
      const other = await api("POST", "/api/api-keys", { name: "not a sign-in" });
      await filtered;
      assert.equal(await page.locator(`[data-action="api_key.created"]`).count(), 0);
      assert.equal(await page.locator(`text=${other.api_key.id.slice(0, 12)}`).count(), 0);

      // The system page's figures move as requests come in.
      await page.goto(`${app.url}/admin/system`);
      const before = await page.textContent('[data-testid="system-metrics"] dd');
      await page.waitForFunction(
        (b) => document.querySelector('[data-testid="system-metrics"] dd')?.textContent !== b,
        before,
        { timeout: 15_000 },
      );

      // Suspend the tenant with the page's form: its token stops at once.
      await page.goto(`${app.url}/admin/organizations/${tenantId}`);
      await page.fill("#f-reason", "e2e check");
      await page.click('button:has-text("Suspend organization")');
      await page.waitForSelector('[data-testid="org-status"]:has-text("Suspended")');
      const me = await fetch(`${app.url}/api/auth/me`, { headers: { authorization: `Bearer ${tenant.access_token}` } });
      await me.body?.cancel();
      assert.equal(me.status, 401);
      await page.click('button:has-text("Reactivate")');
      await page.waitForSelector('[data-testid="org-status"]:has-text("Active")');
    } finally {
      await browser.close();
      await app.stop();
    }
  },
);
