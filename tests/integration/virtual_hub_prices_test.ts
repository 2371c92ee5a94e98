/**
 * Hub prices in a running app: the simulator feed writes every zone's pricing locations into location_prices
 * (through the same ingest path as zone prices), and a virtual bid at a hub that is not its zone's reference
 * clears at that hub's DA price and settles at its RT prices — no test-inserted prices.
 */
import assert from "node:assert/strict";
import { VIRTUAL_RULES } from "../../services/bids/virtual_rules.ts";
import { hubPrices } from "../../services/market/hub_basis.ts";
import { simulateDayAhead, simulateRealTime } from "../../services/market/simulator.ts";
import { type Iso, operatingDate } from "../../services/market/zones.ts";
import { call, createOrg, expectStatus } from "../helpers/auth.ts";
import { testApp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
const HOUR = 3_600_000;
const SEED = 11;

Deno.test("virtual bids at a non-reference hub clear and settle at the simulated hub prices", opts, async () => {
  const t = await testApp({
    MARKET_SOURCE: "simulator",
    MARKET_SEED: String(SEED),
    MARKET_BACKFILL_DAYS: "1",
    MARKET_DA_HISTORY_DAYS: "0",
  });
  await t.services.market.ready();
  const db = t.services.db();

  // Every listed location of every zone has prices.
  const listed = Object.values(VIRTUAL_RULES).reduce((n, r) => n + (r?.locations.length ?? 0), 0);
  const [{ n }] = await db.query<{ n: number }>(
    `SELECT count(DISTINCT (zone, location))::int AS n FROM location_prices WHERE market = 'RT'`,
  );
  assert.equal(n, listed);

  const org = await createOrg(t, "hubs");
  const token = org.admin.tokens.access_token;
  expectStatus(
    await call(t, "PUT", "/api/virtual-bids/settings", { token, body: { credit_limit: 1e6, fee_per_mwh: 0.05 } }),
    200,
  );
  // An hour well inside the backfilled day, over by now.
  const start = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
  const hour = new Date(start), end = new Date(start + HOUR);
  const insert = async (zone: Iso, location: string, side: "inc" | "dec", price: number, mw: number) => {
    const [{ id }] = await db.query<{ id: string }>(
      `INSERT INTO bids (org_id, kind, location, zone, market, interval_start, interval_end, side, segments, status,
                         created_by, submitted_at)
       VALUES ($1, 'virtual', $2, $3, 'DA', $4, $5, $6, $7::jsonb, 'submitted', $8, now()) RETURNING id`,
      [org.id, location, zone, hour, end, side, JSON.stringify([{ price, quantity: mw }]), org.admin.userId],
    );
    return id;
  };
  const bids = [
    { zone: "PJM" as const, location: "AEP-DAYTON HUB", side: "inc" as const, price: -500, mw: 2, id: "" },
    { zone: "ERCOT" as const, location: "HB_HOUSTON", side: "dec" as const, price: 1000, mw: 3, id: "" },
  ];
  for (const b of bids) b.id = await insert(b.zone, b.location, b.side, b.price, b.mw);
  await t.services.bids.clearNow();

  for (const b of bids) {
    const inHour = (p: { interval_start: string; location: string }) =>
      p.location === b.location && Date.parse(p.interval_start) >= start && Date.parse(p.interval_start) < start + HOUR;
    const zoneDa = simulateDayAhead(b.zone, operatingDate(b.zone, start), SEED);
    const da = hubPrices(zoneDa, SEED).filter(inHour);
    const zoneRt = simulateRealTime(b.zone, hour, end, SEED);
    const rt = hubPrices(zoneRt, SEED).filter(inHour);
    assert.equal(da.length, 1);
    assert.equal(rt.length, 12);
    assert.ok(rt.some((p, i) => p.lmp !== zoneRt[i].lmp), `${b.location} is priced apart from ${b.zone}'s price`);

    const r = await call(t, "GET", `/api/bids/${b.id}`, { token });
    expectStatus(r, 200);
    assert.equal(r.body.status, "settled", `${b.location}: ${JSON.stringify(r.body.history?.at(-1))}`);
    assert.equal(r.body.clearing_price, da[0].lmp, "cleared at the hub's own DA price");
    assert.equal(r.body.awarded_mw, b.mw);
    const rtAvg = rt.reduce((s, p) => s + p.lmp, 0) / rt.length;
    const spread = b.side === "inc" ? da[0].lmp - rtAvg : rtAvg - da[0].lmp;
    const expected = b.mw * spread - 0.05 * b.mw;
    assert.ok(Math.abs(r.body.revenue - expected) < 1e-3, `${b.location}: revenue ${r.body.revenue} ≠ ${expected}`);
    assert.ok(Math.abs(r.body.rt_revenue - (b.side === "inc" ? -1 : 1) * b.mw * rtAvg) < 1e-3);
  }
});
