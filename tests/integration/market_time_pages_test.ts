/**
 * Market time on the pages, rendered on the server: zone spellings and trailing slashes redirect to the
 * canonical URL, every page's title says where you are, the market page shows the zone's own clock
 * (named, interval-ending) and the viewer's `/settings` units change what it shows.
 */
import assert from "node:assert/strict";
import { call, expectStatus, type Member, opts, orgWithAllRoles } from "../helpers/auth.ts";
import { bidPage, deliveryHour, siteWithAsset } from "../helpers/bids.ts";
import { type TestApp, testApp } from "../helpers/test_app.ts";
import { writeTicks } from "../../services/market/store.ts";

const page = (t: TestApp, m: Member | null, path: string, form?: Record<string, string>) =>
  bidPage(t, m?.tokens.access_token ?? null, path, form);

/** The wall clock of an instant in a zone, read from Intl directly (not through the module under test). */
function wallClock(timeZone: string, ms: number): { hhmm: string; abbrev: string } {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return { hhmm: `${get("hour")}:${get("minute")}`, abbrev: get("timeZoneName") };
}

Deno.test(
  "zone spellings and trailing slashes redirect to the canonical URL; unknown zones are 404",
  opts,
  async () => {
    const t = await testApp();
    const { org } = await orgWithAllRoles(t, "mtime-redirects");
    const cases: [string, string][] = [
      ["/market/ISO-NE", "/market/ISONE"],
      ["/market/iso-ne", "/market/ISONE"],
      ["/market/isone", "/market/ISONE"],
      ["/market/ISO%20New%20England", "/market/ISONE"],
      ["/market/ercot", "/market/ERCOT"],
      ["/market/New%20York%20ISO", "/market/NYISO"],
      ["/market/caiso", "/market/CAISO"],
    ];
    for (const [from, to] of cases) {
      const r = await page(t, org.admin, from);
      assert.equal(r.status, 301, from);
      assert.equal(r.location, to, from);
    }
    assert.equal((await page(t, org.admin, "/market/ATLANTIS")).status, 404);

    for (
      const [from, to] of [["/bidding/", "/bidding"], ["/market/PJM/?x=1", "/market/PJM?x=1"], [
        "/settings/",
        "/settings",
      ]]
    ) {
      const r = await page(t, org.admin, from);
      assert.equal(r.status, 301, from);
      assert.equal(new URL(r.location!, t.origin).pathname + new URL(r.location!, t.origin).search, to, from);
    }
  },
);

Deno.test("every page's title says where you are", opts, async () => {
  const t = await testApp();
  const { org } = await orgWithAllRoles(t, "mtime-titles");
  const titles: [string, string][] = [
    ["/bidding", "Bidding · OptiBid"],
    ["/assets", "Assets · OptiBid"],
    ["/settings", "Settings · OptiBid"],
    ["/profile", "Profile · OptiBid"],
    // Not ERCOT: the market page keeps a zone's rows for a few seconds per data version, across test apps.
    ["/market/MISO", "Midcontinent ISO market · OptiBid"],
    ["/market/ISONE", "ISO New England market · OptiBid"],
    ["/admin/audit", "Audit log · Admin · OptiBid"],
    ["/no-such-page", "Page not found · OptiBid"],
  ];
  for (const [path, title] of titles) {
    const r = await page(t, org.admin, path);
    assert.equal(r.html.match(/<title>([^<]*)<\/title>/)?.[1]?.replace(/&amp;/g, "&"), title, path);
  }
  const login = await page(t, null, "/login");
  assert.match(login.html, /<title>Sign in · OptiBid<\/title>/);
});

Deno.test(
  "market page: the zone's clock named, interval ending; /settings units change what it shows",
  opts,
  async () => {
    const t = await testApp();
    const { org } = await orgWithAllRoles(t, "mtime-market");
    // The newest ERCOT RT interval: it ended within the last 5 minutes.
    const end = Math.floor(Date.now() / 300_000) * 300_000;
    const start = end - 300_000;
    await writeTicks(t.services.db(), [{
      zone: "ERCOT",
      market: "RT",
      interval_start: new Date(start).toISOString(),
      interval_end: new Date(end).toISOString(),
      lmp: 53.44,
      energy: 50,
      congestion: 3,
      loss: 0.44,
    }], "test");

    const before = await page(t, org.admin, "/market/ERCOT");
    assert.equal(before.status, 200);
    const { hhmm, abbrev } = wallClock("America/Chicago", end);
    assert.match(abbrev, /^C[SD]T$/);
    const ie = hhmm === "00:00" ? "24:00" : hhmm;
    const latest = before.html.match(/data-testid="latest-interval"[^>]*>([^<]*)</)?.[1]?.trim();
    assert.match(latest ?? "", new RegExp(`^\\d{4}-\\d{2}-\\d{2} IE ${ie}\\*? ${abbrev}$`));
    assert.match(before.html, /data-testid="market-clock"[^>]*>Central prevailing time \(CPT\)/);
    assert.match(before.html, /data-testid="latest-price"[^>]*>\s*\$53\.44\/MWh/);
    assert.match(before.html, /LMP \(\$\/MWh\)/);
    assert.match(before.html, />53\.44</);
    assert.doesNotMatch(before.html, /\d\d:\d\d UTC/, "no UTC on the page");
    // The chart is told the unit.
    assert.match(before.html, /&quot;priceUnit&quot;:&quot;\$\/MWh&quot;|"priceUnit":"\$\/MWh"/);

    const saved = await page(t, org.admin, "/settings", {
      time_zone: "America/Los_Angeles",
      default_zone: "ERCOT",
      energy: "kWh",
      price: "¢/kWh",
      channel: "in_app",
    });
    // Redirect after post: a reload does not send the form again.
    assert.equal(saved.status, 303);
    assert.equal(saved.location, "/settings?saved=1");
    assert.match((await page(t, org.admin, saved.location!)).html, /Settings saved/);

    const after = await page(t, org.admin, "/market/ERCOT");
    assert.match(after.html, /data-testid="latest-price"[^>]*>\s*5\.344¢\/kWh/);
    assert.match(after.html, /LMP \(¢\/kWh\)/);
    assert.match(after.html, />5\.344</);
    assert.doesNotMatch(after.html, /\$53\.44/);
    assert.match(after.html, /"priceUnit":"\\u00a2\/kWh"/);
  },
);

Deno.test(
  "bid pages: delivery in hour ending on the zone's clock, other times in the user's zone, prices in their unit",
  opts,
  async () => {
    const t = await testApp();
    const { org } = await orgWithAllRoles(t, "mtime-bids");
    const token = org.admin.tokens.access_token;
    const { asset } = await siteWithAsset(t, token, { name: "Clock Solar", kind: "solar", capacity_mw: 20 });
    const start = deliveryHour();
    const r = await call(t, "POST", "/api/bids", {
      token,
      body: {
        asset_id: asset.id,
        zone: "PJM",
        market: "DA",
        interval_start: start,
        side: "offer",
        segments: [{ price: 42.5, quantity: 5 }],
      },
    });
    expectStatus(r, 201);
    const id = r.body.id as string;
    // The API keeps UTC with an offset.
    assert.match(r.body.interval_start, /Z$|[+-]\d\d:\d\d$/);

    const { hhmm, abbrev } = wallClock("America/New_York", Date.parse(start));
    const he = `HE${Number(hhmm.slice(0, 2)) + 1}`;
    const list = await page(t, org.admin, "/bidding");
    assert.match(list.html, /data-testid="bid-hour"[^>]*>([^<]*)</);
    assert.equal(list.html.match(/data-testid="bid-hour"[^>]*>([^<]*)</)?.[1], `${he} ${abbrev}`);
    const detail = await page(t, org.admin, `/bidding/${id}`);
    assert.match(detail.html, new RegExp(`data-testid="bid-delivery"[^>]*>\\d{4}-\\d{2}-\\d{2} ${he} ${abbrev}<`));
    assert.match(detail.html, /Price \$\/MWh/);
    assert.match(detail.html, /\$42\.50/);
    // No zone chosen yet: times with no market are UTC, named.
    assert.match(detail.html, /data-testid="bid-created"[^>]*>\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC</);

    await page(t, org.admin, "/settings", {
      time_zone: "America/Los_Angeles",
      default_zone: "PJM",
      energy: "MWh",
      price: "¢/kWh",
      channel: "in_app",
    });
    const after = await page(t, org.admin, `/bidding/${id}`);
    const created = wallClock("America/Los_Angeles", Date.now());
    assert.match(
      after.html,
      new RegExp(`data-testid="bid-created"[^>]*>\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} ${created.abbrev}<`),
    );
    assert.match(after.html, /Price ¢\/kWh/);
    assert.match(after.html, />4\.250¢</);
    assert.doesNotMatch(after.html, /\$42\.50/);
    // The market clock does not follow the user's zone.
    assert.match(after.html, new RegExp(`data-testid="bid-delivery"[^>]*>\\d{4}-\\d{2}-\\d{2} ${he} ${abbrev}<`));
  },
);

Deno.test("P&L by operating day counts each bid on its zone's market clock, not UTC", opts, async () => {
  const t = await testApp();
  const { org } = await orgWithAllRoles(t, "mtime-pnl");
  const token = org.admin.tokens.access_token;
  const { asset } = await siteWithAsset(t, token, { name: "Day Solar", kind: "solar", capacity_mw: 20 });
  const db = t.services.db();
  // 23:00 EDT on 1 July and 01:00 EDT on 2 July: the same UTC day, two PJM operating days.
  for (const [start, revenue] of [["2025-07-02T03:00:00Z", 100], ["2025-07-02T05:00:00Z", 50]] as const) {
    await db.query(
      `INSERT INTO bids (org_id, asset_id, zone, market, interval_start, interval_end, side, segments, status,
                         created_by, submitted_at, awarded_mw, clearing_price, da_revenue, rt_revenue, revenue)
       VALUES ($1, $2, 'PJM', 'DA', $3, $4, 'offer', '[{"price":10,"quantity":5}]'::jsonb, 'settled',
               (SELECT id FROM users WHERE email = $5), now(), 5, 20, $6, 0, $6)`,
      [org.id, asset.id, new Date(start), new Date(Date.parse(start) + 3_600_000), org.admin.email, revenue],
    );
  }
  const { pnl } = await import("../../services/bids/pnl.ts");
  const range = { from: "2025-07-01T00:00:00Z", to: "2025-07-03T00:00:00Z", asset_id: asset.id };
  const byMarketDay = await pnl(db, org.id, { ...range, groupBy: "market_day" });
  assert.deepEqual(byMarketDay.items.map((r) => [r.label, r.revenue]), [["2025-07-01", 100], ["2025-07-02", 50]]);
  const byUtcDay = await pnl(db, org.id, { ...range, groupBy: "day" });
  assert.deepEqual(byUtcDay.items.map((r) => [r.label, r.revenue]), [["2025-07-02", 150]]);
});

Deno.test("audit page: times shown and typed in the user's /settings time zone", opts, async () => {
  const t = await testApp();
  const { org } = await orgWithAllRoles(t, "mtime-audit");
  await page(t, org.admin, "/settings", {
    time_zone: "America/Chicago",
    default_zone: "PJM",
    energy: "MWh",
    price: "$/MWh",
    channel: "in_app",
  });
  /** "YYYY-MM-DDTHH:MM" on Chicago's wall clock, as a datetime-local input sends it. */
  const chicago = (ms: number) => {
    const p = Object.fromEntries(
      new Intl.DateTimeFormat("en-US", {
        timeZone: "America/Chicago",
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
      }).formatToParts(new Date(ms)).map((x) => [x.type, x.value]),
    );
    return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
  };
  const rows = (html: string) => [...html.matchAll(/<time datetime="[^"]+">([^<]+)<\/time>/g)].map((m) => m[1]);
  const all = await page(t, org.admin, "/admin/audit");
  assert.equal(all.status, 200);
  const { abbrev } = wallClock("America/Chicago", Date.now());
  assert.ok(rows(all.html).length >= 2);
  for (const shown of rows(all.html)) assert.match(shown, new RegExp(`^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} ${abbrev}$`));
  // 30 minutes ago on the Chicago clock finds the entries.
  const since = await page(t, org.admin, `/admin/audit?from=${encodeURIComponent(chicago(Date.now() - 1_800_000))}`);
  assert.ok(rows(since.html).length >= 2, "entries since half an hour ago, Chicago time");
  // Half an hour ahead on the Chicago clock finds none; read as UTC it would be hours in the past, finding all.
  const later = await page(t, org.admin, `/admin/audit?from=${encodeURIComponent(chicago(Date.now() + 1_800_000))}`);
  assert.deepEqual(rows(later.html), []);
});

Deno.test("the asset form's messages name the field as it is labelled, in plain words", opts, async () => {
  const t = await testApp();
  const { org } = await orgWithAllRoles(t, "mtime-forms");
  const token = org.admin.tokens.access_token;
  const { siteId } = await siteWithAsset(t, token, { name: "First", kind: "solar", capacity_mw: 5 });
  const r = await page(t, org.admin, "/assets", {
    _action: "asset",
    site_id: siteId,
    name: "",
    kind: "solar",
    capacity_mw: "0",
  });
  assert.equal(r.status, 400);
  assert.match(r.html, /Capacity must be more than 0 MW/);
  assert.match(r.html, /Asset name must not be empty/);
  assert.doesNotMatch(r.html, /Too small|expected number|Invalid input/);
  const site = await page(t, org.admin, "/assets", {
    _action: "site",
    name: "S",
    zone: "PJM",
    node: "HUB",
    latitude: "91",
    longitude: "x",
  });
  assert.match(site.html, /Latitude must be at most 90/);
  assert.match(site.html, /Longitude (is required|must be a number)/);
});
