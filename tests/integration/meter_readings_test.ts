/**
 * Meter readings: the API's rules (shape, grid, capacity per direction, overlaps, corrections, roles,
 * tenants), and what they do to settlement — a DA position's deviation from them is paid at the RT price,
 * a metered asset's hour waits for its readings, and a settled hour takes no more (409).
 */
import assert from "node:assert/strict";
import { writeTicks } from "../../services/market/store.ts";
import type { PriceTick } from "../../services/market/types.ts";
import type { Iso } from "../../services/market/zones.ts";
import { call, createOrg, expectError, expectStatus, type Member, opts, orgWithAllRoles } from "../helpers/auth.ts";
import { type TestApp, testApp } from "../helpers/test_app.ts";

const MIN = 60_000;
const HOUR = 3_600_000;

function tick(zone: Iso, market: "DA" | "RT", start: number, lmp: number): PriceTick {
  return {
    zone,
    market,
    interval_start: new Date(start).toISOString(),
    interval_end: new Date(start + (market === "DA" ? HOUR : 5 * MIN)).toISOString(),
    lmp,
    energy: lmp,
    congestion: 0,
    loss: 0,
  };
}

const at = (ms: number) => new Date(ms).toISOString();
const reading = (start: number, minutes: number, mw: number) => ({
  interval_start: at(start),
  interval_end: at(start + minutes * MIN),
  mw,
});

async function assetOf(t: TestApp, m: Member, zone: Iso, body: Record<string, unknown>) {
  const token = m.tokens.access_token;
  const site = await call(t, "POST", "/api/sites", {
    token,
    body: { name: `Site ${crypto.randomUUID().slice(0, 8)}`, zone, node: "HUB", latitude: 40, longitude: -90 },
  });
  expectStatus(site, 201);
  const asset = await call(t, "POST", "/api/assets", { token, body: { site_id: site.body.id, ...body } });
  expectStatus(asset, 201);
  return asset.body as { id: string };
}

/** A DA offer placed directly as submitted, as if before the gate of an hour that is past now. */
async function submittedDaOffer(t: TestApp, m: Member, assetId: string, zone: Iso, hour: number, mw: number) {
  const [{ id }] = await t.services.db().query<{ id: string }>(
    `INSERT INTO bids (org_id, asset_id, zone, market, interval_start, interval_end, side, segments, status,
                       created_by, submitted_at)
     VALUES ($1, $2, $3, 'DA', $4, $5, 'offer', $6::jsonb, 'submitted', $7, now()) RETURNING id`,
    [m.orgId, assetId, zone, at(hour), at(hour + HOUR), JSON.stringify([{ price: 5, quantity: mw }]), m.userId],
  );
  return id;
}

Deno.test("a DA position settles its metered deviation at the RT price, by hand", opts, async () => {
  const t = await testApp();
  const { org, members } = await orgWithAllRoles(t, "meter-settle");
  const trader = members.trader;
  const token = trader.tokens.access_token;
  const asset = await assetOf(t, trader, "SPP", { name: "Prairie Wind", kind: "wind", capacity_mw: 20 });
  // Three days ago: long past the wait for readings, and within the asset page's 30 days.
  const hour = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 3 * 86_400_000 + 14 * HOUR;
  const bidId = await submittedDaOffer(t, trader, asset.id, "SPP", hour, 10);

  // Actuals before any price is in, so whenever the job settles, it has them: 8 MW for 14:15–14:30 (one
  // 15-minute reading) and 14:30–14:35, 11 MW for 14:40–14:45; the other 7 intervals are unmetered.
  const put = await call(t, "PUT", `/api/assets/${asset.id}/meter-readings`, {
    token,
    body: {
      readings: [
        reading(hour + 15 * MIN, 15, 8),
        reading(hour + 30 * MIN, 5, 8),
        reading(hour + 40 * MIN, 5, 11),
        reading(hour - 5 * MIN, 5, 3), // the hour before: no bid there, no effect
      ],
    },
  });
  expectStatus(put, 200);
  assert.equal(put.body.created, 4);
  assert.equal(put.body.corrected, 0);
  assert.deepEqual(put.body.items.map((r: { mw: number }) => r.mw), [3, 8, 8, 11], "oldest first");
  assert.equal(put.body.items[1].recorded_by, trader.userId);

  const rt = [40, 42, 38, 50, 20, 30, 35, 45, 60, 25, 30, 40];
  const db = t.services.db();
  await writeTicks(
    db,
    [tick("SPP", "DA", hour, 30), ...rt.map((p, i) => tick("SPP", "RT", hour + i * 5 * MIN, p))],
    "t",
  );
  await t.services.bids.clearNow();
  await t.services.bids.clearNow(); // cleared in one pass, settled in the same or the next

  const bid = await call(t, "GET", `/api/bids/${bidId}`, { token });
  expectStatus(bid, 200);
  assert.equal(bid.body.status, "settled");
  assert.equal(bid.body.awarded_mw, 10);
  // DA: 10 MW × $30 × 1 h = $300. RT: (8 − 10) MW × 5/60 h at $50, $20, $30, $35 = −2 × 135 / 12 = −$22.50;
  // (11 − 10) MW × 5/60 h × $60 = +$5. Unmetered intervals: as delivered, no deviation.
  assert.equal(bid.body.da_revenue, 300);
  assert.equal(bid.body.rt_revenue, -17.5);
  assert.equal(bid.body.revenue, 282.5);
  const settled = bid.body.history.at(-1);
  assert.equal(settled.to, "settled");
  assert.equal(settled.details.metered_intervals, 5);
  assert.equal(settled.details.rt_intervals, 12);
  assert.equal(settled.details.deviation_mwh, Math.round((-2 * 4 + 1) / 12 * 10_000) / 10_000);
  assert.equal(settled.details.rt_revenue, -17.5);
  assert.deepEqual(settled.details.intervals[3], {
    start: at(hour + 15 * MIN),
    rt_lmp: 50,
    actual_mw: 8,
    deviation_mw: -2,
  });
  assert.deepEqual(settled.details.intervals[0], { start: at(hour), rt_lmp: 40, actual_mw: null, deviation_mw: 0 });

  const pnl = await call(t, "GET", `/api/portfolio/pnl?from=${at(hour)}&to=${at(hour + 86_400_000)}&group_by=asset`, {
    token,
  });
  expectStatus(pnl, 200);
  assert.deepEqual([pnl.body.total.da_revenue, pnl.body.total.rt_revenue, pnl.body.total.revenue], [300, -17.5, 282.5]);

  // Settlement is final: a reading in the settled hour is refused, and nothing of the batch is written.
  const late = await call(t, "PUT", `/api/assets/${asset.id}/meter-readings`, {
    token,
    body: { readings: [reading(hour + 2 * HOUR, 5, 1), reading(hour, 5, 9)] },
  });
  expectError(late, 409, "settled");
  assert.equal(late.body.error.details.length, 1);
  assert.equal(late.body.error.details[0].path, "body.readings.1");
  assert.equal(late.body.error.details[0].bid_id, bidId);
  const after = await call(
    t,
    "GET",
    `/api/assets/${asset.id}/meter-readings?from=${at(hour - HOUR)}&to=${at(hour + 3 * HOUR)}`,
    { token: members.viewer.tokens.access_token },
  );
  expectStatus(after, 200);
  assert.equal(after.body.items.length, 4, "the batch with a refused reading wrote nothing");
  // Outside any settled hour, still accepted.
  expectStatus(
    await call(t, "PUT", `/api/assets/${asset.id}/meter-readings`, {
      token,
      body: { readings: [reading(hour + 2 * HOUR, 5, 1)] },
    }),
    200,
  );
  // Nor can the readings settlement used be deleted: a range reaching into the settled hour deletes nothing.
  const rangeDelete = (from: number, to: number) =>
    call(t, "DELETE", `/api/assets/${asset.id}/meter-readings?from=${at(from)}&to=${at(to)}`, { token });
  const refused = await rangeDelete(hour - HOUR, hour + 3 * HOUR);
  expectError(refused, 409, "settled");
  assert.deepEqual(refused.body.error.details.map((d: { bid_id: string }) => d.bid_id), [bidId]);
  const kept = await call(
    t,
    "GET",
    `/api/assets/${asset.id}/meter-readings?from=${at(hour - HOUR)}&to=${at(hour + 3 * HOUR)}`,
    { token },
  );
  assert.equal(kept.body.items.length, 5, "nothing deleted");
  // A range outside it goes.
  assert.deepEqual((await rangeDelete(hour + 2 * HOUR, hour + 3 * HOUR)).body, { deleted: 1 });

  // The asset's page shows the readings and the deviation revenue, at phone width too (no wide table).
  const res = await t.fetch(`/assets/${asset.id}`, {
    headers: { accept: "text/html", authorization: `Bearer ${members.viewer.tokens.access_token}` },
  });
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /data-testid="meter-readings"/);
  assert.match(html, /data-testid="deviation-revenue"[^>]*>−\$17\.50</);
  assert.match(html, /8 MW/);
  assert.match(html, /deviation −\$17\.50/, "beside the bid's revenue");
  // The bid's history says what settlement used.
  const bidPage = await t.fetch(`/bidding/${bidId}`, {
    headers: { accept: "text/html", authorization: `Bearer ${members.viewer.tokens.access_token}` },
  });
  assert.equal(bidPage.status, 200);
  assert.match(await bidPage.text(), /metered 5 of 12 RT intervals: deviation −0\.5833 MWh, −\$17\.50 at RT prices/);
  assert.ok(org.id);
});

Deno.test("meter readings: the API's rules, each naming the reading", opts, async () => {
  const t = await testApp();
  const { members } = await orgWithAllRoles(t, "meter-rules");
  const token = members.trader.tokens.access_token;
  const wind = await assetOf(t, members.trader, "SPP", { name: "Rules Wind", kind: "wind", capacity_mw: 20 });
  const battery = await assetOf(t, members.trader, "SPP", {
    name: "Rules BESS",
    kind: "storage",
    capacity_mw: 10,
    energy_mwh: 40,
    charge_mw: 8,
    discharge_mw: 10,
    round_trip_efficiency: 0.9,
    min_soc: 0.1,
    max_soc: 0.9,
  });
  const base = Date.UTC(2025, 6, 2, 10);
  const put = (assetId: string, readings: unknown, m: Member = members.trader) =>
    call(t, "PUT", `/api/assets/${assetId}/meter-readings`, { token: m.tokens.access_token, body: { readings } });
  const invalid = async (readings: unknown, path: RegExp, assetId = wind.id) => {
    const r = await put(assetId, readings);
    expectError(r, 400, "validation_failed", JSON.stringify(readings).slice(0, 200));
    assert.ok(
      r.body.error.details.some((d: { path: string }) => path.test(d.path)),
      `${path} in ${JSON.stringify(r.body.error.details)}`,
    );
    return r;
  };

  // Capacity for the direction: up to capacity; a wind farm does not consume; storage within charge power.
  expectStatus(await put(wind.id, [reading(base, 5, 20), reading(base + 5 * MIN, 5, 0)]), 200);
  const over = await invalid([reading(base, 5, 1), reading(base + 10 * MIN, 5, 20.001)], /^body\.readings\.1\.mw$/);
  assert.match(over.body.error.message, /more than the asset's capacity of 20 MW/);
  await invalid([reading(base, 5, -0.5)], /^body\.readings\.0\.mw$/);
  expectStatus(await put(battery.id, [reading(base, 5, 10), reading(base + 5 * MIN, 5, -8)]), 200);
  await invalid([reading(base, 5, 10.5)], /^body\.readings\.0\.mw$/, battery.id);
  const charge = await invalid([reading(base, 5, -8.5)], /^body\.readings\.0\.mw$/, battery.id);
  assert.match(charge.body.error.message, /charge power of 8 MW/);

  // Shape and grid.
  await invalid([{ interval_start: at(base), interval_end: at(base), mw: 1 }], /^body\.readings\.0\.interval_end$/);
  await invalid(
    [{ interval_start: at(base + 3 * MIN), interval_end: at(base + 8 * MIN), mw: 1 }],
    /readings\.0\.interval_start$/,
  );
  await invalid([reading(base, 65, 1)], /^body\.readings\.0\.interval_end$/);
  await invalid([reading(Date.now() + HOUR - (Date.now() % (5 * MIN)), 5, 1)], /^body\.readings\.0\.interval_end$/);
  await invalid([{ ...reading(base, 5, 1), quality: "good" }], /^body\.readings\.0\.quality$/);
  await invalid([{ interval_start: at(base), interval_end: at(base + 5 * MIN) }], /^body\.readings\.0\.mw$/);
  await invalid([], /^body\.readings$/);
  await invalid(
    Array.from({ length: 2_001 }, (_, i) => reading(base + i * 5 * MIN, 5, 1)),
    /^body\.readings$/,
  );
  expectStatus(
    await put(wind.id, Array.from({ length: 2_000 }, (_, i) => reading(base - (i + 1) * 5 * MIN, 5, 1))),
    200,
    "2,000 readings at once",
  );
  await invalid([reading(base, 10, 1), reading(base + 5 * MIN, 5, 1)], /^body\.readings\.1\.interval_start$/);
  await invalid([reading(base, 5, 1), reading(base, 5, 2)], /^body\.readings\.1\.interval_start$/);
  // 1e999 is valid JSON, and JSON.parse makes it Infinity.
  const inf = await call(t, "PUT", `/api/assets/${wind.id}/meter-readings`, {
    token,
    body: `{"readings":[{"interval_start":"${at(base)}","interval_end":"${at(base + 5 * MIN)}","mw":1e999}]}`,
  });
  expectError(inf, 400, "validation_failed");
  assert.equal(inf.body.error.details[0].path, "body.readings.0.mw");

  // Corrections replace by interval start; another grid over stored readings is a conflict.
  const fifteen = Date.UTC(2025, 6, 3, 10);
  expectStatus(await put(wind.id, [reading(fifteen, 15, 6)]), 200);
  const clash = await put(wind.id, [reading(fifteen + 5 * MIN, 5, 6)]);
  expectError(clash, 409, "reading_overlap");
  assert.match(clash.body.error.details[0].message, /overlaps the stored reading/);
  const regrid = await put(wind.id, [reading(fifteen, 5, 7), reading(fifteen + 5 * MIN, 5, 6)]);
  expectStatus(regrid, 200, "the stored 15-minute reading is corrected to 5 minutes in the same batch");
  assert.deepEqual([regrid.body.created, regrid.body.corrected], [1, 1]);
  const list = await call(
    t,
    "GET",
    `/api/assets/${wind.id}/meter-readings?from=${at(fifteen)}&to=${at(fifteen + HOUR)}`,
    {
      token,
    },
  );
  assert.deepEqual(list.body.items.map((r: { mw: number; interval_end: string }) => [r.mw, r.interval_end]), [
    [7, at(fifteen + 5 * MIN)],
    [6, at(fifteen + 10 * MIN)],
  ]);

  // Reading them: [from, to), at most 7 days.
  const q = (s: string) => call(t, "GET", `/api/assets/${wind.id}/meter-readings?${s}`, { token });
  expectError(await q(`from=${at(base)}&to=${at(base)}`), 400, "validation_failed");
  expectError(await q(`from=${at(base)}&to=${at(base + 8 * 86_400_000)}`), 400, "validation_failed");
  expectError(await q(`since=${at(base)}`), 400, "validation_failed");
  const day = await q(`from=${at(base)}&to=${at(base + 10 * MIN)}`);
  assert.deepEqual(day.body.items.map((r: { mw: number }) => r.mw), [20, 0]);

  // Roles: a viewer reads, but does not write; an analyst neither writes.
  expectStatus(
    await call(t, "GET", `/api/assets/${wind.id}/meter-readings?from=${at(base)}&to=${at(base + HOUR)}`, {
      token: members.viewer.tokens.access_token,
    }),
    200,
  );
  expectStatus(await put(wind.id, [reading(base, 5, 1)], members.viewer), 403);
  expectStatus(await put(wind.id, [reading(base, 5, 1)], members.analyst), 403);
  const del = (s: string, m: Member = members.trader) =>
    call(t, "DELETE", `/api/assets/${wind.id}/meter-readings?${s}`, { token: m.tokens.access_token });
  expectStatus(await del(`from=${at(base)}&to=${at(base + HOUR)}`, members.viewer), 403);

  // Deleting: both ends required (no default range for a deletion), [from, to), at most 7 days.
  expectError(await del(`from=${at(base)}`), 400, "validation_failed");
  expectError(await del(`from=${at(base)}&to=${at(base)}`), 400, "validation_failed");
  expectError(await del(`from=${at(base)}&to=${at(base + 8 * 86_400_000)}`), 400, "validation_failed");
  expectError(await del(`from=${at(base)}&to=${at(base + HOUR)}&all=1`), 400, "validation_failed");

  // Tenants: another organization's asset is not found, for reading and writing alike.
  const other = await createOrg(t, "meter-other");
  for (const method of ["GET", "PUT", "DELETE"]) {
    const r = await call(t, method, `/api/assets/${wind.id}/meter-readings?from=${at(base)}&to=${at(base + HOUR)}`, {
      token: other.admin.tokens.access_token,
      body: method === "PUT" ? { readings: [reading(base, 5, 1)] } : undefined,
    });
    expectError(r, 404, "not_found", method);
  }
  const untouched = await q(`from=${at(base)}&to=${at(base + 5 * MIN)}`);
  assert.deepEqual(untouched.body.items.map((r: { mw: number }) => r.mw), [20]);

  // The caller's own: the readings starting in [from, to) go, the one starting at `to` stays.
  const gone = await del(`from=${at(base)}&to=${at(base + 5 * MIN)}`);
  expectStatus(gone, 200);
  assert.deepEqual(gone.body, { deleted: 1 });
  assert.deepEqual(
    (await q(`from=${at(base)}&to=${at(base + 10 * MIN)}`)).body.items.map((r: { mw: number }) => r.mw),
    [
      0,
    ],
  );
  assert.deepEqual((await del(`from=${at(base)}&to=${at(base + 5 * MIN)}`)).body, { deleted: 0 });
});

Deno.test("a metered asset's DA hour waits for its readings, then settles with them", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "meter-wait");
  const admin = org.admin;
  const token = admin.tokens.access_token;
  const metered = await assetOf(t, admin, "ISONE", { name: "Coastal Wind", kind: "wind", capacity_mw: 30 });
  // The last whole hour: over, and well within the wait for readings.
  const hour = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  const bidId = await submittedDaOffer(t, admin, metered.id, "ISONE", hour, 12);
  const put = (from: number, to: number, mw: number) =>
    call(t, "PUT", `/api/assets/${metered.id}/meter-readings`, {
      token,
      body: { readings: Array.from({ length: to - from }, (_, i) => reading(hour + (from + i) * 5 * MIN, 5, mw)) },
    });
  expectStatus(await put(0, 6, 12), 200);

  const db = t.services.db();
  await writeTicks(db, [
    tick("ISONE", "DA", hour, 25),
    ...Array.from({ length: 12 }, (_, i) => tick("ISONE", "RT", hour + i * 5 * MIN, 60)),
  ], "t");
  await t.services.bids.clearNow();
  await t.services.bids.clearNow();
  const get = async () => (await call(t, "GET", `/api/bids/${bidId}`, { token })).body;
  assert.equal((await get()).status, "cleared", "half the hour metered: it waits for the rest");

  // The rest comes in: 6 MW short for half an hour at $60 → −6 × 0.5 × 60 = −$180.
  expectStatus(await put(6, 12, 6), 200);
  await t.services.bids.clearNow();
  const bid = await get();
  assert.equal(bid.status, "settled");
  assert.equal(bid.da_revenue, 12 * 25);
  assert.equal(bid.rt_revenue, -180);
  assert.equal(bid.revenue, 300 - 180);
  assert.equal(bid.history.at(-1).details.metered_intervals, 12);
});
