/**
 * `deno task backtest --register`: the backtest's best model of ours becomes the next version of its name
 * in DATABASE_URL's registry, with the registry's metric names, and its run (report attached) waits in the
 * outbox for MLflow.
 */
import assert from "node:assert/strict";
import { bestOurs, registerBacktest, registryMetrics } from "../../bench/backtest_register.ts";
import { openPostgres } from "../../services/adapters/postgres.ts";
import { MLFLOW_RUNS_TOPIC } from "../../services/bids/outbox.ts";
import { freshPostgresUrl, serviceTest } from "../helpers/services.ts";

const report = {
  generatedAt: "2026-12-03T12:00:00.000Z",
  protocol: { from: "2016-12-27", days: 728, windows: [56, 84, 1092, 1456], noiseVariance: "legacy", refit: "lars" },
  rows: [
    { model: "ours LEAR 56", mae: 4.1, rmse: 7, smapePct: 14, rmae: 0.55 },
    {
      model: "ours LEAR ensemble (56+84+1092+1456)",
      mae: 3.5,
      rmse: 6.2,
      smapePct: 12.1,
      rmae: 0.47,
      rmaeEpftoolbox: 0.45,
      intervals: { coverage80: 0.805, pinballMean: 1.2 },
    },
    { model: "published DNN Ensemble", mae: 3.0, rmse: 5.9, smapePct: 11.5, rmae: 0.44 },
  ],
  timing: { wallSeconds: 600 },
};

Deno.test("backtest --register: the best of ours (never a published model) and its metrics", () => {
  assert.equal(bestOurs(report).model, "ours LEAR ensemble (56+84+1092+1456)");
  assert.deepEqual(registryMetrics(bestOurs(report)), {
    MAE: 3.5,
    RMSE: 6.2,
    sMAPE: 12.1,
    rMAE: 0.47,
    rMAE_epftoolbox: 0.45,
    coverage: 0.805,
    pinball: 1.2,
  });
  assert.throws(() => bestOurs({ ...report, rows: report.rows.slice(2) }), /no model of ours/);
});

serviceTest(
  "backtest --register: a new version in DATABASE_URL and its MLflow run in the outbox",
  ["postgres"],
  async () => {
    const url = await freshPostgresUrl("btreg", { migrated: true });
    const first = await registerBacktest(report, { databaseUrl: url, name: "lear-test" });
    const second = await registerBacktest(report, { databaseUrl: url, name: "lear-test" });
    assert.deepEqual([first.version, second.version], [1, 2]);
    assert.equal(first.stage, "staging", "promotion stays the operator's decision");
    assert.equal(first.metrics.rMAE, 0.47);
    assert.deepEqual(first.training_window.calibration_windows_days, [56, 84, 1092, 1456]);
    const db = await openPostgres(url);
    try {
      const [event] = await db.query<{ payload: Record<string, unknown> }>(
        `SELECT payload FROM outbox WHERE topic = $1 AND key = $2`,
        [MLFLOW_RUNS_TOPIC, first.id],
      );
      const p = event.payload as {
        kind: string;
        register: boolean;
        started_at: string;
        ended_at: string;
        artifact: { name: string; body: string };
      };
      assert.equal(p.kind, "backtest");
      assert.equal(p.register, true);
      assert.equal(p.ended_at, "2026-12-03T12:00:00.000Z");
      assert.equal(p.started_at, "2026-12-03T11:50:00.000Z");
      assert.equal(p.artifact.name, "backtest.json");
      assert.deepEqual(JSON.parse(p.artifact.body), report);
    } finally {
      await db.close();
    }
  },
);
