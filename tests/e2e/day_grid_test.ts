/**
 * The day grid in a real browser: a battery's whole operating day typed, pasted from a spreadsheet (TSV),
 * copied to all hours and filled down; a curve out of order and a day the battery cannot deliver are
 * marked on their rows before anything is sent; one Submit sends ONE batch that creates every hour's bid,
 * and when its answer is lost the retry carries the same Idempotency-Key, so the day exists once. The next
 * day then copies yesterday's. Screenshots at 1280 and 390 px go to $DAYGRID_SHOTS (default /tmp).
 */
import assert from "node:assert/strict";
import { addDays, dayHours, dayRange, defaultDay } from "../../components/day_grid.ts";
import { marketHour } from "../../services/market/market_time.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { jsonApi, register, signIn } from "../helpers/e2e.ts";
import { battery, pjmSite } from "../helpers/bids.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

const SHOTS = Deno.env.get("DAYGRID_SHOTS") ?? "/tmp";

serviceTest("day grid: fill, paste, copy, fill down, validation, one batch for the day, idempotent retry", [
  "chromium",
], async () => {
  const app = await spawnApp({
    MARKET_BACKFILL_DAYS: "1",
    JWT_SECRET: "e2e-secret-e2e-secret-e2e-secret-e2e-secret",
    ...await appDatabaseEnv("daygrid"),
  });
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const email = `daygrid-${Date.now()}@example.com`;
    const { access_token } = await register(app.url, { email, name: "Dana Day", organization_name: "Day Power" });
    const api = jsonApi(app.url, () => access_token);
    const site = await api("POST", "/api/sites", pjmSite("Day Site"));
    const bess = await api("POST", "/api/assets", { site_id: site.id, ...battery("Keystone Battery") });

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of (400|409)|ERR_FAILED/.test(m.text())) errors.push(m.text());
    });
    const batches: { key: string | null; body: string | null }[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname === "/api/bids/batch") {
        batches.push({ key: r.headers()["idempotency-key"] ?? null, body: r.postData() });
      }
    });

    await page.goto(`${app.url}/bidding/day`);
    await signIn(page, email, `${app.url}/bidding/day`);
    await page.waitForSelector("fresh-island[data-island=DayGrid][data-hydrated]");
    // The first day whose gate is open; the test then works on the day after, whose gate cannot close meanwhile.
    const first = defaultDay("PJM", new Date());
    assert.ok([first, addDays(first, 1)].includes(await page.inputValue("#dg-date")));
    const date = addDays(first, 1);
    const hours = dayHours("PJM", date);
    await page.fill("#dg-date", date);
    await page.waitForFunction((n) => document.querySelectorAll("tr[data-row]").length === n, hours.length);
    assert.equal(await page.textContent("tr[data-row='0'] th"), "HE1");
    await page.selectOption("#dg-segments", "2");

    // Typing and the keyboard: HE7 gets a $500 / 1 MW offer; arrows move between cells.
    const cell = (r: number, c: number) => `[data-cell="${r}:${c}"]`;
    await page.click(cell(6, 0));
    await page.keyboard.type("500");
    await page.keyboard.press("Tab");
    await page.keyboard.type("1");
    await page.keyboard.press("ArrowDown");
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-cell")), "7:1");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowUp");
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-cell")), "5:1");
    // Copy HE7 to every hour.
    await page.click(cell(6, 0));
    await page.click("[data-action=copy-all]");
    for (const r of [0, 12, hours.length - 1]) assert.equal(await page.inputValue(cell(r, 0)), "500");

    // A spreadsheet block pasted at HE1: six charging hours (bid prices fall), then their side set to Charge.
    const paste = (r: number, c: number, text: string) =>
      page.evaluate(({ sel, text }) => {
        const dt = new DataTransfer();
        dt.setData("text/plain", text);
        document.querySelector(sel)!.dispatchEvent(
          new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }),
        );
      }, { sel: cell(r, c), text });
    await paste(0, 0, "25\t10\t15\t10\r\n".repeat(6));
    for (let r = 0; r < 6; r++) await page.selectOption(`[data-side="${r}"]`, "bid");
    assert.deepEqual(
      await Promise.all([0, 1, 2, 3].map((c) => page.inputValue(cell(5, c)))),
      ["25", "10", "15", "10"],
    );
    assert.equal(await page.inputValue(cell(6, 0)), "500", "the block ends where it ends");

    // Out of order: an offer whose second price is below its first is marked on its cell as it is typed.
    await page.fill(cell(6, 2), "400");
    await page.fill(cell(6, 3), "1");
    await page.waitForSelector(`${cell(6, 2)}[aria-invalid=true]`);
    assert.match(await page.textContent("[data-row-issues='6']") ?? "", /must not decrease/);
    await page.fill(cell(6, 2), "");
    await page.fill(cell(6, 3), "");
    await page.waitForSelector("[data-row-issues='6']", { state: "detached" });

    // Evening discharge of 50 MW for six hours is more energy than the battery holds: the day is refused
    // across its rows before anything is sent.
    await paste(16, 0, "40\t30\t60\t20\n".repeat(6));
    await page.waitForSelector("[data-row-issues]:has-text('swing by')");
    await page.click("[data-action=submit-day]");
    await page.waitForSelector("[data-testid=dg-outcome]:has-text('Fix the')");
    assert.equal(batches.length, 0, "no request for a day with issues");
    await paste(16, 0, "40\t10\t60\t10\n".repeat(6));
    // Fill down: the last hours' price raised from the cell above them.
    await page.fill(cell(hours.length - 2, 0), "510");
    await page.click(cell(hours.length - 2, 0));
    await page.keyboard.press("Control+d");
    assert.equal(await page.inputValue(cell(hours.length - 1, 0)), "510");
    assert.equal(
      await page.locator("[data-row-issues]").count(),
      0,
      await page.textContent("[data-testid=day-grid]") ?? "",
    );
    await page.screenshot({ path: `${SHOTS}/daygrid-1280.png`, fullPage: true });

    // The first answer is lost on its way back (the server committed it): the retry sends the same key.
    let dropped = false;
    await page.route("**/api/bids/batch", async (route) => {
      if (dropped) return await route.continue();
      dropped = true;
      await route.fetch();
      await route.abort("failed");
    });
    await page.click("[data-action=submit-day]");
    await page.waitForSelector(`[data-testid=dg-outcome]:has-text('Submitted ${hours.length} bids')`, {
      timeout: 15_000,
    });
    assert.equal(batches.length, 2);
    assert.ok(batches[0].key && batches[0].key === batches[1].key, "the retry carries the first key");
    const sent = JSON.parse(batches[0].body!);
    assert.equal(sent.submit, true);
    assert.equal(sent.bids.length, hours.length);
    const stored = await api("GET", `/api/bids?asset_id=${bess.id}&limit=500`);
    assert.equal(stored.items.length, hours.length, "the day exists once");
    assert.ok(stored.items.every((b: { status: string }) => b.status === "submitted"));
    // The grid reads the day's bids again after showing the outcome: the count follows a moment later.
    await page.waitForSelector(`[data-testid=dg-summary]:has-text('${hours.length} live bid')`, { timeout: 15_000 });

    // A new version of the submitted day: opened again, the page shows the day's bids; a change submitted
    // replaces them in one transaction (the old ones withdrawn, both versions kept).
    await page.unroute("**/api/bids/batch");
    await page.reload();
    await page.waitForSelector("fresh-island[data-island=DayGrid][data-hydrated]");
    await page.fill("#dg-date", date);
    await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLInputElement).value === "500", cell(10, 0));
    assert.match(await page.textContent("[data-action=submit-day]") ?? "", new RegExp(`replaces ${hours.length}`));
    await page.fill(cell(10, 0), "480");
    await page.click("[data-action=submit-day]");
    await page.waitForSelector(`[data-testid=dg-outcome]:has-text('replacing the ${hours.length} sent before')`);
    assert.deepEqual(
      JSON.parse(batches[2].body!).replaces.sort(),
      stored.items.map((b: { id: string }) => b.id).sort(),
    );
    const versions = await api("GET", `/api/bids?asset_id=${bess.id}&limit=500`);
    const byStatus = (s: string) => versions.items.filter((b: { status: string }) => b.status === s);
    assert.equal(byStatus("withdrawn").length, hours.length);
    assert.equal(byStatus("submitted").length, hours.length);
    assert.ok(
      byStatus("submitted").some((b: { segments: { price: number }[] }) => b.segments[0].price === 480),
      "the new version holds the change",
    );

    // The day saved as a template.
    await page.fill("#dg-template-name", "Summer day");
    await page.click("[data-action=save-template]");
    await page.waitForSelector("[data-testid=dg-outcome]:has-text('Saved template \"Summer day\"')");

    // The next day copies this one.
    const next = addDays(date, 1);
    await page.fill("#dg-date", next);
    await page.click("[data-action=clear]");
    assert.equal(await page.inputValue(cell(0, 0)), "");
    await page.click("[data-action=copy-yesterday]");
    await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLInputElement).value === "25", cell(0, 0));
    assert.equal(await page.inputValue(`[data-side="0"]`), "bid");
    assert.equal(await page.inputValue(cell(16, 1)), "10");

    // Or applies the template: the same curves by hour-ending.
    await page.click("[data-action=clear]");
    assert.equal(await page.inputValue(cell(10, 0)), "");
    await page.selectOption("#dg-template", { label: "Summer day" });
    await page.click("[data-action=apply-template]");
    assert.equal(await page.inputValue(cell(10, 0)), "480");
    assert.equal(await page.inputValue(cell(0, 0)), "25");
    assert.equal(await page.inputValue(`[data-side="0"]`), "bid");

    // Saved as drafts first, then submitted: the submission replaces the drafts (one batch each time).
    await page.click("[data-action=save-drafts]");
    await page.waitForSelector(
      `[data-testid=dg-outcome]:has-text('Saved as drafts: ${dayHours("PJM", next).length} bids')`,
    );
    await page.waitForFunction(() =>
      /replaces \d+/.test(document.querySelector("[data-action=submit-day]")!.textContent!)
    );
    await page.click("[data-action=submit-day]");
    await page.waitForSelector("[data-testid=dg-outcome]:has-text('replacing the')");
    const range = dayRange("PJM", next);
    const nextDay = await api("GET", `/api/bids?asset_id=${bess.id}&from=${range.from}&to=${range.to}&limit=100`);
    const nextLen = dayHours("PJM", next).length;
    const nextStatus = (st: string) => nextDay.items.filter((b: { status: string }) => b.status === st).length;
    assert.equal(nextStatus("withdrawn"), nextLen, "the drafts were replaced");
    assert.equal(nextStatus("submitted"), nextLen);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}/daygrid-390.png`, fullPage: false });
    // The RT builder: one curve for the next 3 intervals, one batch.
    await page.goto(`${app.url}/bidding`);
    await page.waitForSelector("fresh-island[data-island=BidBuilder][data-hydrated]");
    await page.check("input[name=market][value=RT]");
    await page.fill("#bb-repeat", "3");
    await page.fill("#bb-price-0", "30");
    await page.fill("#bb-qty-0", "1");
    const before = batches.length;
    await page.click("button[value=submit]");
    await page.waitForSelector("[data-testid=builder-outcome]:has-text('Submitted: 3 bids')");
    assert.equal(batches.length, before + 1, "one batch");
    const rt = JSON.parse(batches[before].body!);
    assert.equal(rt.submit, true);
    assert.deepEqual(
      rt.bids.map((b: { interval_start: string }) =>
        Date.parse(b.interval_start) - Date.parse(rt.bids[0].interval_start)
      ),
      [0, 300_000, 600_000],
    );
    const rtBids = await api("GET", `/api/bids?asset_id=${bess.id}&market=RT&limit=10`);
    assert.equal(rtBids.items.filter((b: { status: string }) => b.status === "submitted").length, 3);

    // Bulk actions on the list: a withdrawal asks first and sends nothing until confirmed.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${app.url}/bidding?status=submitted&market=DA&asset_id=${bess.id}`);
    await page.waitForSelector("fresh-island[data-island=BidList][data-hydrated]");
    const rows = await page.locator("[data-select]").evaluateAll((els) =>
      els.map((e) => e.getAttribute("data-select"))
    );
    assert.ok(rows.length >= 3);
    const writes: string[] = [];
    page.on("request", (r) => {
      if (r.method() !== "GET" && new URL(r.url()).pathname.startsWith("/api/bids")) {
        writes.push(new URL(r.url()).pathname);
      }
    });
    await page.check(`[data-select="${rows[0]}"]`);
    await page.check(`[data-select="${rows[1]}"]`);
    assert.equal(await page.textContent("[data-bulk=submit]"), "Submit 0", "submitted bids cannot be submitted again");
    await page.click("[data-bulk=withdraw]");
    await page.waitForSelector("[data-testid=bulk-confirm]:has-text('Withdraw 2 bid(s)?')");
    assert.deepEqual(writes, [], "nothing sent before the confirmation");
    await page.click("[data-bulk-confirm=withdraw]");
    await page.waitForSelector("[data-testid=bulk-result]:has-text('Withdrew 2 of 2')");
    assert.deepEqual(writes.sort(), [`/api/bids/${rows[0]}/withdraw`, `/api/bids/${rows[1]}/withdraw`].sort());
    for (const id of rows.slice(0, 2)) assert.equal((await api("GET", `/api/bids/${id}`)).status, "withdrawn");
    // Copy to another day: drafts of the same hours, in one batch.
    await page.waitForSelector(`[data-select="${rows[0]}"]`, { state: "detached" });
    await page.check(`[data-select="${rows[2]}"]`);
    const copyDay = addDays(date, 3);
    await page.fill("[data-testid=bulk-copy-date]", copyDay);
    await page.click("[data-bulk=copy]");
    await page.waitForSelector("[data-testid=bulk-result]:has-text('Copied 1 bid(s)')");
    const copied = await api("GET", `/api/bids?asset_id=${bess.id}&status=draft&limit=10`);
    assert.equal(copied.items.length, 1);
    const src = await api("GET", `/api/bids/${rows[2]}`);
    // The same hour-ending on the chosen day (not "+72 h": a DST change may lie between).
    const copiedHour = marketHour("PJM", copied.items[0].interval_start);
    assert.equal(copiedHour.date, copyDay);
    assert.equal(copiedHour.label, marketHour("PJM", src.interval_start).label);
    assert.deepEqual(copied.items[0].segments, src.segments);
    await page.screenshot({ path: `${SHOTS}/bidlist-bulk-1280.png` });

    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.stop();
  }
});
