/**
 * The day grid's page rendered on the server: titled, the first open operating day's hours on the zone's
 * clock (23/24/25 rows, as dayHours says), prices in the viewer's unit from /settings, read-only for roles
 * that cannot bid.
 */
import assert from "node:assert/strict";
import { dayHours, defaultDay } from "../../components/day_grid.ts";
import { type Member, opts, orgWithAllRoles } from "../helpers/auth.ts";
import { battery, bidPage, siteWithAsset } from "../helpers/bids.ts";
import { type TestApp, testApp } from "../helpers/test_app.ts";

const page = (t: TestApp, m: Member | null, path: string, form?: Record<string, string>) =>
  bidPage(t, m?.tokens.access_token ?? null, path, form);

Deno.test(
  "bid a day page: title, the day's hour-ending rows, units from /settings, read-only for viewers",
  opts,
  async () => {
    const t = await testApp();
    const { org, members } = await orgWithAllRoles(t, "daypage");
    await siteWithAsset(t, org.admin.tokens.access_token, battery("Page BESS"));

    const before = await page(t, org.admin, "/bidding/day");
    assert.equal(before.status, 200);
    assert.match(before.html, /<title>Bid a day · Bidding · OptiBid<\/title>/);
    assert.match(before.html, /data-island="DayGrid"/);
    const hours = dayHours("PJM", defaultDay("PJM", new Date()));
    const rows = [...before.html.matchAll(/data-he="(HE\d+\*?)"/g)].map((m) => m[1]);
    // The server renders the grid for the server's default day; across a gate the browser may move a day on.
    assert.ok([23, 24, 25].includes(rows.length));
    assert.deepEqual(rows.slice(0, 2), hours.slice(0, 2).map((h) => h.label));
    assert.match(before.html, /DA \(\$\/MWh\)/);
    assert.match(before.html, /Eastern prevailing time/);

    const saved = await page(t, org.admin, "/settings", {
      time_zone: "America/Chicago",
      default_zone: "PJM",
      energy: "MWh",
      price: "¢/kWh",
      channel: "in_app",
    });
    assert.ok(saved.status === 200 || saved.status === 303, String(saved.status));
    const after = await page(t, org.admin, "/bidding/day");
    assert.match(after.html, /DA \(¢\/kWh\)/);
    assert.doesNotMatch(after.html, /DA \(\$\/MWh\)/);

    const viewer = await page(t, members.viewer, "/bidding/day");
    assert.equal(viewer.status, 200);
    assert.match(viewer.html, /data-testid="read-only"/);
    assert.doesNotMatch(viewer.html, /data-island="DayGrid"/);
  },
);
