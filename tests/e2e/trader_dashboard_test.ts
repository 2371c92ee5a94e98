/**
 * The trader's dashboard in a real browser: a known award and pending bid show as positions, the gate
 * countdowns tick, toasts stack and go away by themselves unless critical, a bid the clearing job clears
 * comes as a toast naming asset and hour and updates the panels in place; screenshots at 1280 and 390 px.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { freePort } from "../helpers/ports.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { jsonApi, register, signIn } from "../helpers/e2e.ts";
import { appDatabaseEnv } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";
import { addDays, localDayBounds } from "../../services/market/clock.ts";
import { daResultsUtc, operatingDate } from "../../services/market/zones.ts";

const SHOTS = Deno.env.get("SCREENSHOT_DIR");

Deno.test(
  "trader dashboard: positions, ticking gates, toasts; 1280 and 390 px",
  async () => {
    const db = await appDatabaseEnv("trader-dash");
    const app = await spawnApp({
      PORT: String(freePort()),
      DATA_DIR: await Deno.makeTempDir({ prefix: "optibid-e2e-dash-" }),
      MARKET_BACKFILL_DAYS: "1",
      JWT_SECRET: "e2e-secret-e2e-secret-e2e-secret-e2e-secret",
      ...db,
    });
    const browser = await launchBrowser();
    const sql = postgres(db.DATABASE_URL, { max: 1, onnotice: () => {} });
    try {
      await app.waitReady();
      const email = `dash-${Date.now()}@example.com`;
      const tokens = await register(app.url, { email, name: "Dana Trader", organization_name: "Keystone Power" });
      const api = jsonApi(app.url, () => tokens.access_token);
      const site = await api("POST", "/api/sites", {
        name: "Keystone",
        zone: "PJM",
        node: "WESTERN HUB",
        latitude: 40.3,
        longitude: -76.9,
      });
      const asset = await api("POST", "/api/assets", {
        site_id: site.id,
        name: "Keystone Battery",
        kind: "storage",
        capacity_mw: 20,
        energy_mwh: 80,
        charge_mw: 20,
        discharge_mw: 20,
        round_trip_efficiency: 0.88,
        min_soc: 0.1,
        max_soc: 0.9,
      });
      // Known data: this hour cleared 10 MW at $53.44 (an award of today), and a bid pending for tomorrow.
      const hour = new Date();
      hour.setUTCMinutes(0, 0, 0);
      const [{ org_id }] = await sql`SELECT org_id FROM assets WHERE id = ${asset.id}`;
      const [cleared] = await sql`
      INSERT INTO bids (org_id, asset_id, zone, market, interval_start, interval_end, side, segments, status,
                        awarded_mw, clearing_price)
      VALUES (${org_id}, ${asset.id}, 'PJM', 'DA', ${hour}, ${new Date(hour.getTime() + 3_600_000)}, 'offer',
              '[{"price": 20, "quantity": 10}]'::jsonb, 'cleared', 10, 53.44) RETURNING id`;
      await sql`INSERT INTO bid_events (bid_id, org_id, from_status, to_status, actor_system)
              VALUES (${cleared.id}, ${org_id}, 'submitted', 'cleared', 'test')`;
      // Noon of tomorrow on PJM's clock, whatever the time of day here.
      const tomorrowDate = addDays(operatingDate("PJM", Date.now()), 1);
      const tomorrow = new Date(localDayBounds("America/New_York", tomorrowDate)[0] + 12 * 3_600_000);
      await sql`
      INSERT INTO bids (org_id, asset_id, zone, market, interval_start, interval_end, side, segments, status)
      VALUES (${org_id}, ${asset.id}, 'PJM', 'DA', ${tomorrow}, ${new Date(tomorrow.getTime() + 3_600_000)}, 'offer',
              '[{"price": -100, "quantity": 10}]'::jsonb, 'submitted')`;

      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${app.url}/login`);
      await signIn(page, email, `${app.url}/`);
      await page.waitForSelector("html[data-islands-hydrated=true]", { timeout: 15_000 });

      const today = page.locator('[data-testid=positions-table] tr[data-asset="Keystone Battery"][data-day=today]');
      assert.match(await today.locator("[data-field=awarded]").innerText(), /10 MWh/);
      assert.match(await today.innerText(), /\$53\.44/);
      // Before tomorrow's DA results the bid is pending; once they are out (13:30 ET) the clearing job clears it.
      const tomorrowRow = "[data-testid=positions-table] tr[data-day=tomorrow]";
      if (Date.now() < daResultsUtc("PJM", tomorrowDate).getTime()) {
        assert.match(await page.locator(`${tomorrowRow} [data-field=pending]`).innerText(), /^1 submitted/);
      } else {
        await page.waitForSelector(`${tomorrowRow} [data-field=awarded]:has-text('MWh')`, { timeout: 15_000 });
      }
      assert.match(
        await page.locator("[data-testid=alert-list]").innerText(),
        /Keystone Battery · PJM DA HE\d+: cleared 10 MW at \$53\.44/,
      );

      // The countdown counts down by itself.
      const countdown = page.locator("[data-testid=gates] li").first().locator("[data-field=countdown]");
      const before = await countdown.innerText();
      await page.waitForFunction(
        (b) => document.querySelector("[data-testid=gates] li [data-field=countdown]")?.textContent !== b,
        before,
        { timeout: 5_000 },
      );

      // Toasts: newest on top, an info one leaves by itself, a critical one stays until dismissed.
      await page.waitForSelector("[data-connection=open]", { timeout: 15_000 });
      const alert = (level: string, title: string) =>
        api("POST", "/api/ws/broadcast/alert", { level, title, message: `${title} message` });
      await alert("critical", "Feed down");
      await alert("info", "Keystone Battery · PJM DA HE17");
      await page.waitForSelector("[data-alert=info]");
      assert.equal(await page.locator("[data-testid=toasts] [data-alert]").first().getAttribute("data-alert"), "info");
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/dashboard-1280.png`, fullPage: true });
      await page.waitForSelector("[data-alert=info]", { state: "detached", timeout: 12_000 });
      assert.equal(await page.locator("[data-alert=critical]").count(), 1, "a critical toast stays");
      await page.click("[data-alert=critical] [data-dismiss-alert]");
      await page.waitForSelector("[data-alert=critical]", { state: "detached" });

      // A bid the market clears while the page is open: the clearing job's outcome comes as a toast naming the
      // asset and the market hour, and the positions and alerts panels update in place (no reload).
      await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 7));
      await sql`
        INSERT INTO bids (org_id, asset_id, zone, market, interval_start, interval_end, side, segments, status)
        VALUES (${org_id}, ${asset.id}, 'PJM', 'DA', ${hour}, ${new Date(hour.getTime() + 3_600_000)}, 'offer',
                '[{"price": -100, "quantity": 7}]'::jsonb, 'submitted')`;
      await page.waitForSelector("[data-alert=info]:has-text('Keystone Battery · PJM DA HE')", { timeout: 30_000 });
      assert.match(
        await page.locator("[data-alert=info]").first().innerText(),
        /Keystone Battery · PJM DA HE\d+: cleared 7 MW at −?\$[\d.]+/,
      );
      await page.waitForFunction(
        () => /17 MWh/.test(document.querySelector("tr[data-day=today] [data-field=awarded]")?.textContent ?? ""),
        undefined,
        { timeout: 15_000 },
      );
      // The alerts panel gained the new outcome in place (how many others it lists depends on the clock).
      await page.waitForSelector("[data-testid=alert-list] li:has-text('cleared 7 MW')", { timeout: 15_000 });
      assert.equal(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker), 7, "no reload");

      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      await page.waitForSelector("html[data-islands-hydrated=true]");
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/dashboard-390.png`, fullPage: true });
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll("body *")].filter((e) =>
          e.getBoundingClientRect().right > globalThis.innerWidth + 1
        )
          .slice(0, 5).map((e) => `${e.tagName}.${e.className}`.slice(0, 120))
      );
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - globalThis.innerWidth);
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 390 px: ${wide.join(" | ")}`);

      // The asset form shows the storage fields only for storage (CSS, before any script).
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${app.url}/assets`);
      const addForm = page.locator("form:has(input[name=_action][value=asset])");
      assert.equal(await addForm.locator("[name=energy_mwh]").isVisible(), false, "solar: no storage fields");
      await addForm.locator("select[name=kind]").selectOption("storage");
      assert.equal(await addForm.locator("[name=energy_mwh]").isVisible(), true, "storage: its fields");
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/assets-1280.png`, fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${app.url}/assets/${asset.id}`);
      const editForm = page.locator("[data-testid=asset-edit]");
      assert.equal(await editForm.locator("[name=max_soc]").isVisible(), true, "a battery's edit form has them");
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/asset-390.png`, fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await sql.end();
      await browser.close();
      await app.stop();
    }
  },
);
