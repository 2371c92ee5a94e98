/**
 * The live forecast job end to end on simulated data: it waits for the day's DA prices, stores a forecast
 * before the gate with the production model version, keeps vintages (a second run adds one; asOf picks the
 * earlier), uses load where the zone has it and runs price-only otherwise, and maps DST days to 24 slots and
 * back (23 and 25 stored hours). The recalibration runs in the Web Worker.
 */
import assert from "node:assert/strict";
import { writeLoad } from "../../services/market/load_store.ts";
import { dayAheadHistory } from "../../services/market/simulator.ts";
import { writeTicks } from "../../services/market/store.ts";
import { gateClosureUtc, type Iso } from "../../services/market/zones.ts";
import { createForecastLive } from "../../services/forecast_live/service.ts";
import type { RunOutcome } from "../../services/forecast_live/job.ts";
import { call, createOrg, expectStatus, opts } from "../helpers/auth.ts";
import { testApp } from "../helpers/test_app.ts";

const SEED = 7;
const MODEL = "lear-ensemble-test";
// Cheap settings: two short windows, a band from 6 days of errors (the production defaults use 14).
const PARAMS = { windows: [56, 84], refit: "lars", backcast_days: 6, intervals: { lookback: 56, min_history: 5 } };

async function seed(zone: Iso, from: string, to: string, withLoad: boolean, until = Infinity) {
  const t = await testApp();
  const db = t.services.db();
  const ticks = [], load = [];
  for (const c of dayAheadHistory([zone], from, to, SEED, until)) {
    ticks.push(...c.ticks);
    load.push(...c.load);
  }
  await writeTicks(db, ticks, "test");
  if (withLoad) await writeLoad(db, load, "test");
}

function stored(r: RunOutcome | Error | undefined) {
  assert.ok(r && !(r instanceof Error), `run failed: ${r instanceof Error ? r.stack : ""}`);
  assert.equal(r.status, "stored", JSON.stringify(r));
  return (r as Extract<RunOutcome, { status: "stored" }>).run;
}

Deno.test("forecast job: waits for the prices, stores before the gate, keeps vintages, DST days", opts, async () => {
  const t = await testApp();
  const db = t.services.db();
  await db.query(
    `INSERT INTO models (name, version, params, stage) VALUES ($1, 1, $2::jsonb, 'production')`,
    [MODEL, JSON.stringify(PARAMS)],
  );
  let clock = Date.parse("2025-07-10T16:00:00Z"); // before PJM's 13:30 EDT results for 2025-07-11
  const job = createForecastLive({ enabled: false, db: () => db, now: () => clock, modelName: MODEL });
  try {
    // DA prices up to 2025-07-10 and load forecasts up to 2025-07-12 (published a day ahead).
    await seed("PJM", "2024-12-01", "2025-07-10", true);
    await writeLoad(db, [...dayAheadHistory(["PJM"], "2025-07-11", "2025-07-12", SEED, 0)].flatMap((c) => c.load), "t");
    let out = await job.runOnce({ zones: ["PJM"] });
    const waiting = out.get("PJM") as RunOutcome;
    assert.equal(waiting.status, "waiting", JSON.stringify(waiting));
    assert.equal((await db.query(`SELECT 1 FROM forecast_runs WHERE zone = 'PJM'`)).length, 0);

    // The results for 2025-07-11 are out: the job forecasts 2025-07-12, whose gate is 2025-07-11 10:30 EDT.
    await seed("PJM", "2025-07-11", "2025-07-11", false);
    clock = Date.parse("2025-07-10T18:00:00Z");
    const first = stored((await job.runOnce({ zones: ["PJM"] })).get("PJM"));
    assert.equal(first.deliveryDate, "2025-07-12");
    assert.ok(first.madeAt.getTime() < gateClosureUtc("PJM", "2025-07-12").getTime(), "stored before the gate");
    assert.equal(first.usesLoad, true);
    assert.deepEqual(first.windows, [56, 84]);
    assert.equal(first.backcasts, 6, "walk-forward past forecasts made at first start");
    assert.equal(first.banded, true);
    assert.equal(first.model.name, MODEL);
    assert.equal(first.model.version, 1);
    const [run] = await db.query<{ data_until: Date; uses_load: boolean; n: number; banded: number }>(
      `SELECT r.data_until, r.uses_load, count(*)::int AS n, count(p.p10)::int AS banded
         FROM forecast_runs r JOIN price_forecasts p ON p.run_id = r.id WHERE r.id = $1
        GROUP BY r.id`,
      [first.runId],
    );
    assert.equal(run.n, 24);
    assert.equal(run.banded, 24);
    assert.equal(run.data_until.toISOString(), "2025-07-12T04:00:00.000Z", "no data of the target day read");

    // Not again for the same day unless forced; a forced later run is a new vintage beside the first.
    out = await job.runOnce({ zones: ["PJM"] });
    assert.equal((out.get("PJM") as RunOutcome).status, "exists");
    clock += 2 * 3_600_000;
    const second = stored((await job.runOnce({ zones: ["PJM"], force: true })).get("PJM"));
    assert.notEqual(second.runId, first.runId);
    assert.equal(second.backcasts, 0, "the past forecasts are kept, not recomputed");

    const org = await createOrg(t, "fc-job");
    const q = (asOf?: string) =>
      call(
        t,
        "GET",
        `/api/forecasts?zone=PJM&from=2025-07-12T04:00:00Z&to=2025-07-13T04:00:00Z${asOf ? `&asOf=${asOf}` : ""}`,
        { token: org.admin.tokens.access_token },
      );
    const latest = await q();
    expectStatus(latest, 200);
    assert.equal(latest.body.items.length, 24);
    assert.ok(latest.body.items.every((x: { run_id: string }) => x.run_id === second.runId));
    for (const x of latest.body.items) {
      assert.ok(x.p10 <= x.p50 && x.p50 <= x.p90, JSON.stringify(x));
      assert.ok(x.p50 > 0 && x.p50 < 500, `a plausible PJM price: ${x.p50}`);
    }
    const earlier = await q(new Date(first.madeAt.getTime() + 60_000).toISOString());
    assert.ok(earlier.body.items.every((x: { run_id: string }) => x.run_id === first.runId));
    assert.equal((await db.query(`SELECT 1 FROM forecast_runs WHERE zone = 'PJM'`)).length, 2, "never overwritten");
    // Each stored run is a training run for MLflow, enqueued in the run's own transaction.
    const logged = await db.query<{ key: string; payload: { kind: string; tags: Record<string, string> } }>(
      `SELECT key, payload FROM outbox WHERE topic = 'mlflow.runs' ORDER BY id`,
    );
    assert.deepEqual(
      logged.map((e) => [e.key, e.payload.kind, e.payload.tags.forecast_run_id]),
      [[first.model.id, "training", first.runId], [second.model.id, "training", second.runId]],
    );

    // DST: 2025-11-02 has 25 hours (01:00 twice, one slot), 2025-03-09 has 23.
    await seed("PJM", "2025-07-12", "2025-11-01", true);
    await writeLoad(db, [...dayAheadHistory(["PJM"], "2025-11-02", "2025-11-02", SEED, 0)].flatMap((c) => c.load), "t");
    clock = Date.parse("2025-10-31T18:00:00Z");
    const autumn = stored((await job.runOnce({ zones: ["PJM"] })).get("PJM"));
    assert.equal(autumn.deliveryDate, "2025-11-02");
    const fall = await db.query<{ s: Date; p50: number }>(
      `SELECT interval_start AS s, p50::float8 AS p50 FROM price_forecasts WHERE run_id = $1 ORDER BY 1`,
      [autumn.runId],
    );
    assert.equal(fall.length, 25);
    assert.equal(fall[0].s.toISOString(), "2025-11-02T04:00:00.000Z");
    assert.equal(fall[1].s.toISOString(), "2025-11-02T05:00:00.000Z"); // 01:00 EDT
    assert.equal(fall[2].s.toISOString(), "2025-11-02T06:00:00.000Z"); // 01:00 EST
    assert.equal(fall[1].p50, fall[2].p50, "both 01:00 hours read slot 1");

    clock = Date.parse("2025-03-07T19:00:00Z");
    const spring = stored((await job.runOnce({ zones: ["PJM"] })).get("PJM"));
    assert.equal(spring.deliveryDate, "2025-03-09");
    const sp = await db.query<{ s: Date }>(
      `SELECT interval_start AS s FROM price_forecasts WHERE run_id = $1 ORDER BY 1`,
      [spring.runId],
    );
    assert.equal(sp.length, 23);
    assert.deepEqual(sp.slice(1, 3).map((r) => r.s.toISOString()), [
      "2025-03-09T06:00:00.000Z",
      "2025-03-09T07:00:00.000Z",
    ]);
  } finally {
    await job.stop();
  }
});

Deno.test("forecast job: a zone without load runs price-only; too little history stores nothing", opts, async () => {
  const t = await testApp();
  const db = t.services.db();
  const name = `${MODEL}-noload`;
  await db.query(
    `INSERT INTO models (name, version, params, stage) VALUES ($1, 1, $2::jsonb, 'production')`,
    [name, JSON.stringify({ ...PARAMS, windows: [56], backcast_days: 2 })],
  );
  const clock = Date.parse("2025-05-14T20:00:00Z"); // after ERCOT's 13:30 CDT results for 2025-05-15
  const job = createForecastLive({ enabled: false, db: () => db, now: () => clock, modelName: name });
  try {
    await seed("ERCOT", "2025-04-01", "2025-05-15", false); // 45 days: too few for a 56-day window
    const short = (await job.runOnce({ zones: ["ERCOT"] })).get("ERCOT") as RunOutcome;
    assert.equal(short.status, "no_history", JSON.stringify(short));
    await seed("ERCOT", "2025-01-01", "2025-03-31", false);
    const run = stored((await job.runOnce({ zones: ["ERCOT"] })).get("ERCOT"));
    assert.equal(run.deliveryDate, "2025-05-16");
    assert.equal(run.usesLoad, false);
    assert.equal(run.banded, false, "2 days of errors are fewer than the band's 5");
    const rows = await db.query<{ p10: number | null; p90: number | null }>(
      `SELECT p10, p90 FROM price_forecasts WHERE run_id = $1`,
      [run.runId],
    );
    assert.equal(rows.length, 24);
    assert.ok(rows.every((r) => r.p10 === null && r.p90 === null));
  } finally {
    await job.stop();
  }
});

Deno.test(
  "forecast job: two instances at once store one run (advisory lock)",
  opts,
  async () => {
    const t = await testApp();
    const db = t.services.db();
    const name = `${MODEL}-lock`;
    await db.query(
      `INSERT INTO models (name, version, params, stage) VALUES ($1, 1, $2::jsonb, 'production')`,
      [name, JSON.stringify({ ...PARAMS, windows: [56], backcast_days: 1 })],
    );
    const clock = Date.parse("2025-05-14T21:00:00Z"); // after SPP's 14:00 CDT results for 2025-05-15
    await seed("SPP", "2025-02-01", "2025-05-15", true);
    const a = createForecastLive({ enabled: false, db: () => db, now: () => clock, modelName: name });
    const b = createForecastLive({ enabled: false, db: () => db, now: () => clock, modelName: name });
    try {
      const [ra, rb] = await Promise.all([a.runOnce({ zones: ["SPP"] }), b.runOnce({ zones: ["SPP"] })]);
      const outcomes = [ra.get("SPP"), rb.get("SPP")].filter((x) => x !== undefined);
      assert.equal(outcomes.length, 1, "one pass ran, the other found the lock taken");
      stored(outcomes[0]);
      const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM forecast_runs WHERE zone = 'SPP'`);
      assert.equal(n, 1);
    } finally {
      await a.stop();
      await b.stop();
    }
  },
);
