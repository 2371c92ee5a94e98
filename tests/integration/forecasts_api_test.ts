/** The forecasts API: vintages by asOf, accuracy computed by hand on a small fixture, 400s, and who may read. */
import assert from "node:assert/strict";
import { addDays, localDayBounds } from "../../services/market/clock.ts";
import { writeTicks } from "../../services/market/store.ts";
import type { PriceTick } from "../../services/market/types.ts";
import { gateClosureUtc, type Iso, operatingDate, ZONES } from "../../services/market/zones.ts";
import { insertRun, type RunHour } from "../../services/forecast_live/store.ts";
import { productionModel } from "../../services/models/production.ts";
import { call, createOrg, expectStatus, opts, orgWithAllRoles } from "../helpers/auth.ts";
import { testApp } from "../helpers/test_app.ts";

const H = 3_600_000;

function hoursOf(zone: Iso, date: string): number[] {
  const [s, e] = localDayBounds(ZONES[zone].timeZone, date);
  return Array.from({ length: (e - s) / H }, (_, i) => s + i * H);
}

function daTicks(zone: Iso, date: string, price: (h: number) => number): PriceTick[] {
  return hoursOf(zone, date).map((t, h) => ({
    zone,
    market: "DA",
    interval_start: new Date(t).toISOString(),
    interval_end: new Date(t + H).toISOString(),
    lmp: price(h),
    energy: price(h),
    congestion: 0,
    loss: 0,
  }));
}

function runHours(zone: Iso, date: string, f: (h: number) => Omit<RunHour, "interval_start" | "interval_end">) {
  return hoursOf(zone, date).map((t, h) => ({ interval_start: t, interval_end: t + H, ...f(h) }));
}

Deno.test("GET /api/forecasts answers the latest run made at or before asOf, never an overwrite", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "fc-asof");
  const db = t.services.db();
  const model = await productionModel(db, "test-asof-model", { windows: [56] });
  const zone: Iso = "NYISO";
  const date = "2025-06-10";
  const t1 = new Date("2025-06-08T12:00:00Z"), t2 = new Date("2025-06-09T06:00:00Z");
  const first = await insertRun(db, {
    zone,
    deliveryDate: date,
    modelId: model.id,
    madeAt: t1,
    dataUntil: t1,
    usesLoad: false,
    hours: runHours(zone, date, (h) => ({ p10: null, p50: 30 + h, p90: null })),
  });
  const second = await insertRun(db, {
    zone,
    deliveryDate: date,
    modelId: model.id,
    madeAt: t2,
    dataUntil: t2,
    usesLoad: true,
    hours: runHours(zone, date, (h) => ({ p10: 20 + h, p50: 31 + h, p90: 45.125 + h })),
  });
  const [from, to] = localDayBounds(ZONES[zone].timeZone, date);
  const q = (asOf?: string) =>
    call(
      t,
      "GET",
      `/api/forecasts?zone=nyiso&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}` +
        (asOf ? `&asOf=${asOf}` : ""),
      { token: org.admin.tokens.access_token },
    );

  const now = await q();
  expectStatus(now, 200);
  assert.equal(now.body.zone, "NYISO");
  assert.equal(now.body.market, "DA");
  assert.equal(now.body.next_cursor, null);
  assert.equal(now.body.items.length, 24);
  const it = now.body.items[5];
  assert.deepEqual(it, {
    interval_start: new Date(from + 5 * H).toISOString(),
    interval_end: new Date(from + 6 * H).toISOString(),
    delivery_date: date,
    p10: 25,
    p50: 36,
    p90: 50.125,
    made_at: t2.toISOString(),
    run_id: second,
    model: { id: model.id, name: "test-asof-model", version: 1 },
  });

  const between = await q("2025-06-09T00:00:00Z");
  expectStatus(between, 200);
  assert.equal(between.body.as_of, "2025-06-09T00:00:00.000Z");
  assert.equal(between.body.items.length, 24);
  assert.ok(between.body.items.every((x: { run_id: string }) => x.run_id === first));
  assert.equal(between.body.items[0].p10, null);
  assert.equal(between.body.items[0].p50, 30);

  const exactly = await q(t1.toISOString());
  assert.equal(exactly.body.items[0].run_id, first, "a run made at asOf counts");
  const before = await q("2025-06-08T11:59:59Z");
  assert.deepEqual(before.body.items, []);
});

Deno.test("GET /api/forecasts/accuracy: figures computed by hand on a fixture", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "fc-acc");
  const db = t.services.db();
  const zone: Iso = "MISO"; // 24 hours every day: the figures below are per hour of a plain day
  const model = await productionModel(db, "test-acc-model", {});
  const today = operatingDate(zone, new Date());
  const day = today; // in the window (which ends tomorrow)
  // Every earlier day has 40 + h, so the naive forecast (a day or a week before) is 40 + h whatever the weekday.
  for (let k = 1; k <= 8; k++) await writeTicks(db, daTicks(zone, addDays(day, -k), (h) => 40 + h), "test");
  await writeTicks(db, daTicks(zone, day, (h) => 50 + h), "test");
  const gate = gateClosureUtc(zone, day);
  const run = (madeAt: Date, f: (h: number) => Omit<RunHour, "interval_start" | "interval_end">) =>
    insertRun(db, {
      zone,
      deliveryDate: day,
      modelId: model.id,
      madeAt,
      dataUntil: madeAt,
      usesLoad: false,
      hours: runHours(zone, day, f),
    });
  // An older pre-gate vintage (superseded), the one that counts, and one after the gate (too late to count).
  await run(new Date(gate.getTime() - 5 * H), () => ({ p10: null, p50: 0, p90: null }));
  await run(new Date(gate.getTime() - H), (h) => ({ p10: 45 + h, p50: 48 + h, p90: h < 12 ? 51 + h : 49 + h }));
  await run(new Date(gate.getTime() + H), (h) => ({ p10: null, p50: 50 + h, p90: null }));
  // A day with a forecast but no prices yet: not compared.
  const tomorrow = addDays(today, 1);
  await insertRun(db, {
    zone,
    deliveryDate: tomorrow,
    modelId: model.id,
    madeAt: new Date(gateClosureUtc(zone, tomorrow).getTime() - H),
    dataUntil: new Date(),
    usesLoad: false,
    hours: runHours(zone, tomorrow, (h) => ({ p10: null, p50: h, p90: null })),
  });

  const r = await call(t, "GET", `/api/forecasts/accuracy?zone=MISO&days=30`, { token: org.admin.tokens.access_token });
  expectStatus(r, 200);
  let smape = 0;
  for (let h = 0; h < 24; h++) smape += 2 / ((50 + h + 48 + h) / 2);
  smape /= 24;
  assert.equal(r.body.zone, "MISO");
  assert.equal(r.body.days, 30);
  assert.equal(r.body.n_days, 1);
  assert.equal(r.body.n_hours, 24);
  assert.ok(Math.abs(r.body.mae - 2) < 1e-9, `mae ${r.body.mae}`); // |50+h − (48+h)|
  assert.ok(Math.abs(r.body.rmae - 0.2) < 1e-9, `rmae ${r.body.rmae}`); // naive error is 10 every hour
  assert.ok(Math.abs(r.body.smape - smape) < 1e-9, `smape ${r.body.smape}`);
  assert.equal(r.body.coverage_80, 0.5); // 51 + h ≥ 50 + h on hours 0–11 only
  assert.equal(r.body.daily.length, 1);
  assert.equal(r.body.daily[0].date, day);
  assert.ok(Math.abs(r.body.daily[0].mae - 2) < 1e-9);
  assert.ok(Math.abs(r.body.daily[0].rmae - 0.2) < 1e-9);

  const empty = await call(t, "GET", `/api/forecasts/accuracy?zone=SPP`, { token: org.admin.tokens.access_token });
  expectStatus(empty, 200);
  assert.deepEqual(empty.body, {
    zone: "SPP",
    days: 30,
    n_days: 0,
    n_hours: 0,
    mae: null,
    rmae: null,
    smape: null,
    coverage_80: null,
    daily: [],
  });
});

Deno.test("forecasts: bad queries are 400s naming the field", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "fc-400");
  const cases: [string, RegExp][] = [
    ["/api/forecasts?zone=XYZ&from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z", /zone/],
    ["/api/forecasts?zone=PJM&from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", /from must be before to/],
    ["/api/forecasts?zone=PJM&from=2025-01-01T00:00:00Z&to=2025-03-01T00:00:00Z", /at most 31 days/],
    ["/api/forecasts?zone=PJM&from=yesterday&to=2025-01-02T00:00:00Z", /from/],
    ["/api/forecasts?zone=PJM&to=2025-01-02T00:00:00Z", /from/],
    ["/api/forecasts?zone=PJM&from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z&asOf=now", /asOf/],
    ["/api/forecasts?zone=PJM&from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z&extra=1", /extra/],
    ["/api/forecasts/accuracy?zone=PJM&days=0", /days/],
    ["/api/forecasts/accuracy?zone=PJM&days=abc", /days/],
    ["/api/forecasts/accuracy?days=3", /zone/],
  ];
  for (const [path, expected] of cases) {
    const r = await call(t, "GET", path, { token: org.admin.tokens.access_token });
    expectStatus(r, 400, path);
    assert.match(r.body.error.message + JSON.stringify(r.body.error.details), expected, path);
  }
});

Deno.test("forecasts: analysts and traders read, viewers get 403, anonymous 401", opts, async () => {
  const t = await testApp();
  const { members } = await orgWithAllRoles(t, "fc-rbac");
  const paths = [
    "/api/forecasts?zone=PJM&from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z",
    "/api/forecasts/accuracy?zone=PJM&days=7",
  ];
  for (const path of paths) {
    for (const role of ["admin", "trader", "analyst"] as const) {
      expectStatus(await call(t, "GET", path, { token: members[role].tokens.access_token }), 200, `${role} ${path}`);
    }
    const v = await call(t, "GET", path, { token: members.viewer.tokens.access_token });
    expectStatus(v, 403, `viewer ${path}`);
    expectStatus(await call(t, "GET", path), 401, `anonymous ${path}`);
  }
});

Deno.test(
  "productionModel: creates version 1 once (concurrent callers agree), then returns what is in production",
  opts,
  async () => {
    const t = await testApp();
    const db = t.services.db();
    const defaults = { windows: [56, 84], refit: "lars" };
    const made = await Promise.all([1, 2, 3].map(() => productionModel(db, "test-prod-model", defaults)));
    assert.equal(new Set(made.map((m) => m.id)).size, 1);
    assert.deepEqual({ ...made[0], id: "" }, { id: "", name: "test-prod-model", version: 1, params: defaults });
    const [row] = await db.query<{ stage: string; created_by: string | null; n: number }>(
      `SELECT stage, created_by, (SELECT count(*)::int FROM models WHERE name = 'test-prod-model') AS n
       FROM models WHERE id = $1`,
      [made[0].id],
    );
    assert.deepEqual(row, { stage: "production", created_by: null, n: 1 });
    // A promoted version 2 is what the job gets from then on; the defaults no longer matter.
    const [{ id: v2 }] = await db.query<{ id: string }>(
      `INSERT INTO models (name, version, params, stage) VALUES ('test-prod-model', 2, '{"windows":[56]}', 'staging')
     RETURNING id::text AS id`,
    );
    await db.transaction(async (tx) => {
      await tx.query(`UPDATE models SET stage = 'archived' WHERE name = 'test-prod-model' AND version = 1`);
      await tx.query(`UPDATE models SET stage = 'production' WHERE id = $1`, [v2]);
    });
    const now = await productionModel(db, "test-prod-model", defaults);
    assert.equal(now.id, v2);
    assert.equal(now.version, 2);
    // Versions but none in production: a refusal, not a new version 1.
    await db.query(`UPDATE models SET stage = 'archived' WHERE name = 'test-prod-model'`);
    await assert.rejects(() => productionModel(db, "test-prod-model", defaults), /none in production/);
  },
);
