/**
 * The flows of issue 19 in a real browser, at 1280 and 390 px: a virtual INC built in the bid builder (kind,
 * zone, location, side), refused beyond the credit limit and submitted within it, listed as virtual; then a
 * statement imported on the settlements page, its differences listed with totals, one disputed with a
 * comment, and a malformed file refused with its line number. Screenshots go to $VB19_SCREENSHOTS when set.
 */
import assert from "node:assert/strict";
import { launchBrowser } from "../helpers/browser.ts";
import { jsonApi, register, signIn } from "../helpers/e2e.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

serviceTest("virtual bids in the builder and shadow settlement on its page", ["chromium", "postgres"], async () => {
  const email = `vb19-${Date.now()}@example.com`;
  const app = await spawnApp(await appDatabaseEnv("vb19"));
  const browser = await launchBrowser();
  const shots = Deno.env.get("VB19_SCREENSHOTS");
  try {
    await app.waitReady();
    const { access_token } = await register(app.url, { email, name: "Vera Virtual", organization_name: "Spread Co" });
    const api = jsonApi(app.url, () => access_token);
    await api("PUT", "/api/virtual-bids/settings", { credit_limit: 1000, fee_per_mwh: 0.05 });

    for (const width of [1280, 390]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${app.url}/login?next=/bidding`);
      await signIn(page, email, `${app.url}/bidding`);
      await page.waitForSelector("fresh-island[data-island=BidBuilder][data-hydrated]");
      // No assets: the builder opens on a virtual bid.
      assert.ok(await page.isChecked("input[name=kind][value=virtual]"));
      assert.ok(await page.isDisabled("input[name=kind][value=physical]"));
      await page.selectOption("#bb-zone", "PJM");
      await page.fill("#bb-location", "AEP-DAYTON HUB");
      await page.check("input[name=side][value=inc]");
      // Over the credit limit ($1,000): 30 MW at $40 is $1,200.
      await page.fill("#bb-price-0", "40");
      await page.fill("#bb-qty-0", "30");
      await page.click("button[value=submit]");
      await page.waitForSelector("[data-testid=builder-outcome]:has-text('credit limit')");
      // Within it.
      await page.fill("#bb-qty-0", width === 1280 ? "10" : "5");
      await page.click("button[value=submit]");
      await page.waitForSelector("[data-testid=builder-outcome]:has-text('Bid submitted')");
      await page.waitForSelector("[data-kind=virtual]:has-text('Virtual INC · AEP-DAYTON HUB')");
      // A location PJM does not take is refused beside its field, before anything is sent.
      await page.fill("#bb-location", "SOME BUS");
      await page.waitForSelector("[data-field-error=location], #bb-location[aria-invalid=true]");
      const overflow = await page.evaluate(() =>
        document.documentElement.scrollWidth - document.documentElement.clientWidth
      );
      assert.ok(overflow <= 0, `${width} px: the bidding page scrolls sideways by ${overflow} px`);
      if (shots) await page.screenshot({ path: `${shots}/bidding-virtual-${width}.png`, fullPage: true });
      assert.deepEqual(errors, []);
      await page.close();
    }
    const virtuals = await api("GET", "/api/bids?kind=virtual");
    assert.equal(virtuals.items.length, 2);

    // Shadow settlement: a generic statement with one line OptiBid has not settled.
    const day = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
    const csv = "interval_start,interval_end,location,market,mw,price,amount\n" +
      `${day}T15:00:00Z,${day}T16:00:00Z,WESTERN HUB,DA,5,31.25,156.25\n` +
      `${day}T16:00:00Z,${day}T17:00:00Z,WESTERN HUB,RT,-1,40,-40\n`;
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/good.csv`, csv);
    await Deno.writeTextFile(`${dir}/bad.csv`, csv + `${day}T17:00:00Z,${day}T18:00:00Z,WESTERN HUB,XX,1,1,1\n`);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${app.url}/login?next=/settlements`);
    await signIn(page, email, `${app.url}/settlements`);
    const fill = async (file: string) => {
      await page.selectOption("select[name=zone]", "PJM");
      await page.selectOption("select[name=format]", "generic");
      await page.fill("input[name=first_day]", day);
      await page.fill("input[name=last_day]", day);
      await page.setInputFiles("input[name=file]", file);
    };
    await fill(`${dir}/bad.csv`);
    await page.click("[data-testid=import-form] button[type=submit]");
    await page.waitForSelector("[data-testid=bad-rows]:has-text('Line 4')");
    if (shots) await page.screenshot({ path: `${shots}/settlements-refused-1280.png`, fullPage: true });
    await fill(`${dir}/good.csv`);
    await page.click("[data-testid=import-form] button[type=submit]");
    await page.waitForURL(/\/settlements\/[0-9a-f-]{36}$/);
    assert.equal(await page.textContent("[data-status=only_iso] [data-count]"), "2");
    await page.click("[data-location='WESTERN HUB'][data-market=DA] summary");
    await page.fill(
      "[data-location='WESTERN HUB'][data-market=DA] textarea[name=comment]",
      "Not our trade: PJM to fix",
    );
    await page.click("[data-location='WESTERN HUB'][data-market=DA] button[value=disputed]");
    await page.waitForSelector("text=Marked disputed.");
    assert.match(
      await page.textContent("[data-location='WESTERN HUB'][data-market=DA] [data-review=disputed]") ?? "",
      /Not our trade: PJM to fix/,
    );
    await page.selectOption("select[name=review]", "disputed");
    await page.click("form[method=get] button[type=submit]");
    await page.waitForURL(/review=disputed/);
    assert.equal(await page.locator("[data-testid=differences] tbody tr").count(), 1);
    const exportHref = await page.getAttribute("[data-testid=export]", "href");
    assert.match(exportHref ?? "", /differences\.csv\?.*review=disputed/);
    const statementUrl = page.url().split("?")[0];
    if (shots) await page.screenshot({ path: `${shots}/settlements-1280.png`, fullPage: true });
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${app.url}/login?next=${new URL(statementUrl).pathname}`);
    await signIn(phone, email, statementUrl);
    await phone.waitForSelector("[data-testid=totals]");
    const overflow = await phone.evaluate(() =>
      document.documentElement.scrollWidth - document.documentElement.clientWidth
    );
    assert.ok(overflow <= 0, `390 px: the statement page scrolls sideways by ${overflow} px`);
    if (shots) await phone.screenshot({ path: `${shots}/settlements-390.png`, fullPage: true });
    await Deno.remove(dir, { recursive: true });
  } finally {
    await browser.close();
    await app.stop();
  }
});
