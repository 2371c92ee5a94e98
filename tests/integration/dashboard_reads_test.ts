/**
 * The trader's dashboard against known data and a fixed clock: positions per asset and day, the next gate
 * per zone, tomorrow's DA (published, forecast or nothing), today's DA–RT spread, P&L today and this week,
 * the latest outcomes, all scoped to the caller's organization.
 */
import { readable } from "../helpers/html.ts";
import assert from "node:assert/strict";
import { traderDashboard } from "../../services/dashboard/reads.ts";
import { noticeAlert } from "../../services/bids/notice_read.ts";
import { addMember, call, createOrg, expectStatus } from "../helpers/auth.ts";
import { battery, pjmSite } from "../helpers/bids.ts";
import { dayShape, insertDaPrices, insertRun, modelVersion, operatingHours } from "../helpers/forecasts.ts";
import { testApp } from "../helpers/test_app.ts";
import type { Queryable } from "../../db/database.ts";
import type { BuildInfo, Manifest } from "../../framework/types.ts";
import appConfig from "../../fresh.config.ts";
import manifest from "../../fresh.gen.ts";
import { createApp } from "../../server/app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
const H = 3_600_000;
/** Saturday 2025-11-01 11:00 EDT: PJM's gate for Sunday (a 25-hour day) closed at 10:30. */
const NOW = new Date("2025-11-01T15:00:00Z");

async function insertBid(db: Queryable, b: {
  org: string;
  asset: string;
  start: string;
  status: string;
  awarded?: number;
  price?: number;
  revenue?: number;
  reason?: string;
  market?: "DA" | "RT";
}) {
  const minutes = (b.market ?? "DA") === "DA" ? 60 : 5;
  const start = new Date(b.start);
  const [{ id }] = await db.query<{ id: string }>(
    `INSERT INTO bids (org_id, asset_id, zone, market, interval_start, interval_end, side, segments, status,
                       awarded_mw, clearing_price, revenue, reject_reason)
     VALUES ($1, $2, 'PJM', $3, $4, $5, 'offer', '[{"price": 10, "quantity": 10}]'::jsonb, $6, $7, $8, $9, $10)
     RETURNING id`,
    [
      b.org,
      b.asset,
      b.market ?? "DA",
      start,
      new Date(start.getTime() + minutes * 60_000),
      b.status,
      b.awarded ?? null,
      b.price ?? null,
      b.revenue ?? null,
      b.reason ?? null,
    ],
  );
  return id;
}

async function event(db: Queryable, org: string, bid: string, from: string, to: string, at: string) {
  await db.query(
    `INSERT INTO bid_events (bid_id, org_id, from_status, to_status, actor_system, at) VALUES ($1, $2, $3, $4, 'test', $5)`,
    [bid, org, from, to, new Date(at)],
  );
}

async function orgWithBattery(t: Awaited<ReturnType<typeof testApp>>, tag: string, name: string) {
  const org = await createOrg(t, tag);
  const token = org.admin.tokens.access_token;
  const site = await call(t, "POST", "/api/sites", { token, body: pjmSite() });
  expectStatus(site, 201);
  const asset = await call(t, "POST", "/api/assets", { token, body: { site_id: site.body.id, ...battery(name) } });
  expectStatus(asset, 201);
  return { org: org.id, asset: asset.body.id as string };
}

Deno.test("dashboard: positions, gates, tomorrow, spread, P&L and alerts at a fixed clock", opts, async () => {
  const t = await testApp();
  // The fixture's days are in the past of the real clock: the clearing job (every 5 s) would clear its
  // submitted bids between the inserts and the read.
  await t.services.bids.stop();
  const db = t.services.db();
  const a = await orgWithBattery(t, "dash-a", "Keystone Battery");
  const other = await orgWithBattery(t, "dash-b", "Other Battery");

  // Today (PJM 2025-11-01): HE17 cleared 10 MW at $53.44, HE18 settled 5 MW at $40 (+$200).
  const he17 = await insertBid(db, {
    org: a.org,
    asset: a.asset,
    start: "2025-11-01T20:00:00Z",
    status: "cleared",
    awarded: 10,
    price: 53.44,
  });
  await insertBid(db, {
    org: a.org,
    asset: a.asset,
    start: "2025-11-01T21:00:00Z",
    status: "settled",
    awarded: 5,
    price: 40,
    revenue: 200,
  });
  // A second award in HE17 (another bid): one more MWh, still two hours of position.
  await insertBid(db, {
    org: a.org,
    asset: a.asset,
    start: "2025-11-01T20:00:00Z",
    status: "cleared",
    awarded: 1,
    price: 53.44,
  });
  // Tomorrow (the 25-hour day): two submitted, one draft; withdrawn ones and later days are not positions.
  await insertBid(db, { org: a.org, asset: a.asset, start: "2025-11-02T06:00:00Z", status: "submitted" });
  await insertBid(db, { org: a.org, asset: a.asset, start: "2025-11-02T07:00:00Z", status: "submitted" });
  await insertBid(db, { org: a.org, asset: a.asset, start: "2025-11-02T08:00:00Z", status: "draft" });
  await insertBid(db, { org: a.org, asset: a.asset, start: "2025-11-02T09:00:00Z", status: "withdrawn" });
  await insertBid(db, { org: a.org, asset: a.asset, start: "2025-11-04T15:00:00Z", status: "submitted" });
  // This week, not today: +$100; eight days ago: not this week.
  await insertBid(db, {
    org: a.org,
    asset: a.asset,
    start: "2025-10-29T15:00:00Z",
    status: "settled",
    awarded: 1,
    price: 100,
    revenue: 100,
  });
  await insertBid(db, {
    org: a.org,
    asset: a.asset,
    start: "2025-10-24T15:00:00Z",
    status: "settled",
    awarded: 1,
    price: 1000,
    revenue: 1000,
  });
  const rejected = await insertBid(db, {
    org: a.org,
    asset: a.asset,
    start: "2025-11-02T10:00:00Z",
    status: "rejected",
    reason: "gate closed",
  });
  // Another organization's award today and its event: never on A's dashboard.
  const theirs = await insertBid(db, {
    org: other.org,
    asset: other.asset,
    start: "2025-11-01T20:00:00Z",
    status: "cleared",
    awarded: 7,
    price: 50,
  });
  await event(db, a.org, he17, "submitted", "cleared", "2025-11-01T14:00:00Z");
  await event(db, a.org, rejected, "submitted", "rejected", "2025-11-01T14:30:00Z");
  await event(db, other.org, theirs, "submitted", "cleared", "2025-11-01T14:45:00Z");

  // Prices. PJM today 00:00–11:00 EDT: DA $50, RT $45 (5-minute), so DA − RT = $5 over 11 hours.
  const todayStart = Date.parse("2025-11-01T04:00:00Z");
  await insertDaPrices(db, "PJM", Array.from({ length: 11 }, (_, i) => ({ start: todayStart + i * H, lmp: 50 })));
  for (let i = 0; i < 11 * 12; i++) {
    const s = new Date(todayStart + i * 300_000);
    await db.query(
      `INSERT INTO market_prices (zone, market, interval_start, interval_end, lmp, energy, congestion, loss, source)
       VALUES ('PJM', 'RT', $1, $2, 45, 45, 0, 0, 'test')`,
      [s, new Date(s.getTime() + 300_000)],
    );
  }
  // PJM tomorrow published (25 hours), MISO tomorrow only forecast, ERCOT tomorrow partly published, no forecast.
  const pjmTomorrow = operatingHours("PJM", "2025-11-02");
  await insertDaPrices(db, "PJM", pjmTomorrow.map((start, i) => ({ start, lmp: 30 + i })));
  const model = await modelVersion(db, "dash-test");
  const misoHours = operatingHours("MISO", "2025-11-02");
  await insertRun(db, {
    zone: "MISO",
    deliveryDate: "2025-11-02",
    modelId: model,
    madeAt: new Date(NOW.getTime() - 2 * H),
    hours: dayShape(misoHours, 40),
  });
  // A run made after "now" is not known yet.
  await insertRun(db, {
    zone: "MISO",
    deliveryDate: "2025-11-02",
    modelId: model,
    madeAt: new Date(NOW.getTime() + H),
    hours: dayShape(misoHours, 90),
  });
  await insertDaPrices(
    db,
    "ERCOT",
    operatingHours("ERCOT", "2025-11-02").slice(0, 10).map((start) => ({ start, lmp: 20 })),
  );

  const d = await traderDashboard(db, a.org, { now: NOW, timeZone: "America/New_York" });

  assert.deepEqual(
    d.positions.map((
      p,
    ) => [p.asset_name, p.day, p.date, p.awarded_hours, p.awarded_mwh, p.avg_price, p.pending, p.drafts]),
    [
      ["Keystone Battery", "today", "2025-11-01", 2, 16, 49.24, 0, 0],
      ["Keystone Battery", "tomorrow", "2025-11-02", 0, 0, null, 2, 1],
    ],
  );

  const gate = (z: string) => d.gates.find((g) => g.zone === z)!;
  // CAISO's 10:00 PDT gate is still open; PJM's (10:30 EDT) and ERCOT's (10:00 CDT = now) have closed.
  assert.equal(d.gates[0].zone, "CAISO");
  assert.deepEqual([gate("CAISO").delivery_date, gate("CAISO").closes_at], ["2025-11-02", "2025-11-01T17:00:00.000Z"]);
  assert.deepEqual([gate("PJM").delivery_date, gate("PJM").closes_at, gate("PJM").local_time], [
    "2025-11-03",
    "2025-11-02T15:30:00.000Z",
    "10:30 EST",
  ]);
  assert.equal(gate("ERCOT").closes_at, "2025-11-02T16:00:00.000Z");
  assert.deepEqual(d.gates.map((g) => g.closes_at), [...d.gates.map((g) => g.closes_at)].sort());

  const tomorrow = (z: string) => d.tomorrow.find((x) => x.zone === z)!;
  assert.equal(tomorrow("PJM").source, "published");
  assert.equal(tomorrow("PJM").hours.length, 25);
  assert.deepEqual(tomorrow("PJM").hours.slice(0, 4).map((h) => h.label), ["HE1", "HE2", "HE2*", "HE3"]);
  assert.deepEqual([tomorrow("PJM").min, tomorrow("PJM").max, tomorrow("PJM").peak], [30, 54, "HE24"]);
  assert.equal(tomorrow("MISO").source, "forecast");
  assert.equal(tomorrow("MISO").hours.length, 24, "MISO's market clock is EST all year");
  const misoShape = dayShape(misoHours, 40);
  assert.deepEqual(
    tomorrow("MISO").hours.map((h) => [h.value, h.p10, h.p90]),
    misoShape.map((h) => [h.p50, h.p10, h.p90]),
  );
  assert.equal(tomorrow("ERCOT").source, "none", "a half-published day is not shown as the day's prices");

  const spread = d.spreads.find((s) => s.zone === "PJM")!;
  assert.deepEqual([spread.date, spread.hours, spread.da_avg, spread.rt_avg, spread.spread], [
    "2025-11-01",
    11,
    50,
    45,
    5,
  ]);
  assert.equal(d.spreads.find((s) => s.zone === "CAISO")!.spread, null);

  assert.equal(d.pnl.today.revenue, 200);
  assert.equal(d.pnl.week.revenue, 300);

  assert.deepEqual(d.alerts.map((x) => x.message), [
    "Keystone Battery · PJM DA HE6: rejected: gate closed",
    "Keystone Battery · PJM DA HE17: cleared 10 MW at $53.44",
  ]);
  assert.deepEqual(d.alerts.map((x) => x.level), ["warning", "info"]);

  // The toast of the clearing names the asset and the market hour; another organization cannot read it.
  assert.deepEqual(
    await noticeAlert(db, { orgId: a.org, bidId: he17, status: "cleared", details: {} }),
    {
      level: "info",
      title: "Keystone Battery · PJM DA HE17",
      message: "Keystone Battery · PJM DA HE17: cleared 10 MW at $53.44",
    },
  );
  await assert.rejects(
    noticeAlert(db, { orgId: other.org, bidId: he17, status: "cleared", details: {} }),
    /not found/i,
  );

  // The other organization sees only its own.
  const b = await traderDashboard(db, other.org, { now: NOW, timeZone: "America/New_York" });
  assert.deepEqual(b.positions.map((p) => [p.asset_name, p.day, p.awarded_mwh]), [["Other Battery", "today", 7]]);
  assert.deepEqual(b.alerts.map((x) => x.message), ["Other Battery · PJM DA HE17: cleared 7 MW at $50.00"]);
  assert.equal(b.pnl.week.revenue, 0);
});

Deno.test("dashboard page: a trader's panels; the services panel only for admins", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "dash-page");
  const trader = await addMember(t, org, "trader");
  // The page has islands: a stand-in client build, as a browser without JavaScript would get.
  const build: BuildInfo = {
    sourceHash: "test",
    builtAt: new Date(0).toISOString(),
    css: null,
    boot: "/_fresh/boot-test.js",
    islands: { LiveZoneTiles: "/_fresh/islands/L.js", GateCountdowns: "/_fresh/islands/G.js" },
    files: {},
  };
  const app = createApp({ services: t.services, manifest: manifest as Manifest, build, root: appConfig.root });
  const get = async (token: string) => {
    const res = await app.request("http://localhost/", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    return readable(await res.text());
  };
  const mine = await get(trader.tokens.access_token);
  for (const id of ["positions", "next-gates", "tomorrow", "pnl", "spread", "alerts"]) {
    assert.match(mine, new RegExp(`data-testid="${id}"`), id);
  }
  assert.equal((mine.match(/<li[^>]*data-zone="/g) ?? []).length >= 7, true, "a gate per zone");
  assert.match(mine, /data-field="countdown"[^>]*>(\d+d )?\d\d:\d\d:\d\d</);
  assert.doesNotMatch(mine, /data-testid="services-up"/, "a trader's dashboard has no services panel");
  assert.match(mine, /href="\/system-status"/);
  assert.match(await get(org.admin.tokens.access_token), /data-testid="services-up"/);

  // The reader's /settings units change what the panels show: this hour's PJM DA $50 against RT $45.
  const db = t.services.db();
  const hour = Math.floor(Date.now() / H) * H;
  await insertDaPrices(db, "PJM", [{ start: hour, lmp: 50 }]);
  await db.query(
    `INSERT INTO market_prices (zone, market, interval_start, interval_end, lmp, energy, congestion, loss, source)
     VALUES ('PJM', 'RT', $1, $2, 45, 45, 0, 0, 'test') ON CONFLICT DO NOTHING`,
    [new Date(hour), new Date(hour + 300_000)],
  );
  const spreadCell = (html: string) =>
    /<tr[^>]*data-zone="PJM"[^>]*>(?:(?!<\/tr>)[\s\S])*data-field="spread"[^>]*>([^<]*)</.exec(html)?.[1];
  // Each page read is memoised for 2 s per organization, and renewed in the background once the 2 s are
  // over (the view that finds them over still gets the last reading): the change shows on a view after that.
  await new Promise((r) => setTimeout(r, 2_100));
  assert.equal(spreadCell(await get(trader.tokens.access_token)), "—", "the last reading, while the next is read");
  const deadline = Date.now() + 5_000;
  let cell = spreadCell(await get(trader.tokens.access_token));
  while (cell !== "+$5.00" && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    cell = spreadCell(await get(trader.tokens.access_token));
  }
  assert.equal(cell, "+$5.00");
  const prefs = await call(t, "PUT", "/api/auth/me", {
    token: trader.tokens.access_token,
    body: { preferences: { units: { price: "¢/kWh", energy: "kWh" }, time_zone: "Asia/Tokyo" } },
  });
  expectStatus(prefs, 200);
  const cents = await get(trader.tokens.access_token);
  assert.equal(spreadCell(cents), "+0.500¢");
  assert.match(cents, /¢\/kWh, today/);
  assert.match(cents, /Days on your clock \(Asia\/Tokyo\)/);
});
