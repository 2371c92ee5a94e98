/**
 * `deno task backtest --register [--model=lear-ensemble]`: the backtest's best model of ours becomes a new
 * version in the model registry of DATABASE_URL (stage `staging`: promoting it is the operator's call), with its
 * metrics, and the backtest is logged as the version's MLflow run (report attached) through the outbox; the app's
 * MLflow relay delivers it. Kept apart from bench/backtest.ts, which only calls `registerBacktest`.
 */
import { z } from "zod";
import { migrate } from "../db/migrate.ts";
import { openPostgres } from "../services/adapters/postgres.ts";
import { registerModelIn } from "../services/models/actions.ts";
import type { ModelView } from "../services/models/schema.ts";

const rowSchema = z.object({
  model: z.string(),
  mae: z.number(),
  rmse: z.number(),
  smapePct: z.number(),
  rmae: z.number(),
  rmaeEpftoolbox: z.number().optional(),
  maeVsPublished: z.number().optional(),
  intervals: z.object({ coverage80: z.number(), pinballMean: z.number() }).partial().optional(),
});

/** The fields of bench/backtest.ts's report that a registration reads (the rest is attached as is). */
const reportSchema = z.object({
  generatedAt: z.string(),
  protocol: z.object({ from: z.string(), days: z.number(), windows: z.array(z.number()) }).passthrough(),
  rows: z.array(rowSchema),
  dm: z.record(z.string(), z.unknown()).optional(),
  timing: z.object({ wallSeconds: z.number() }).passthrough(),
});
export type BacktestReport = z.input<typeof reportSchema>;

/** The registry's metric names (the /models page reads MAE, rMAE, sMAPE in %, coverage as a fraction). */
export function registryMetrics(row: z.infer<typeof rowSchema>): Record<string, number> {
  const m: Record<string, number> = { MAE: row.mae, RMSE: row.rmse, sMAPE: row.smapePct, rMAE: row.rmae };
  if (row.rmaeEpftoolbox !== undefined) m.rMAE_epftoolbox = row.rmaeEpftoolbox;
  if (row.maeVsPublished !== undefined) m.MAE_vs_published = row.maeVsPublished;
  if (row.intervals?.coverage80 !== undefined) m.coverage = row.intervals.coverage80;
  if (row.intervals?.pinballMean !== undefined) m.pinball = row.intervals.pinballMean;
  return m;
}

/** Our model with the lowest MAE: the one worth registering. */
export function bestOurs(report: BacktestReport) {
  const r = reportSchema.parse(report);
  const ours = r.rows.filter((row) => row.model.startsWith("ours "));
  if (!ours.length) throw new Error("the report has no model of ours to register");
  return ours.reduce((a, b) => (b.mae < a.mae ? b : a));
}

export interface RegisterBacktestOptions {
  /** The registry name (default `lear-ensemble`). */
  name?: string;
  databaseUrl?: string;
}

export async function registerBacktest(report: BacktestReport, o: RegisterBacktestOptions = {}): Promise<ModelView> {
  const url = o.databaseUrl ?? Deno.env.get("DATABASE_URL");
  if (!url) throw new Error("--register needs DATABASE_URL: the registry lives in the app's Postgres database");
  const r = reportSchema.parse(report);
  const best = bestOurs(r);
  const endedAt = new Date(r.generatedAt);
  const startedAt = new Date(endedAt.getTime() - r.timing.wallSeconds * 1000);
  const db = await openPostgres(url);
  try {
    await migrate(db);
    return await db.transaction((tx) =>
      registerModelIn(tx, {
        name: o.name ?? "lear-ensemble",
        params: { model: best.model, ...r.protocol },
        training_window: {
          calibration_windows_days: r.protocol.windows,
          backtest_from: r.protocol.from,
          backtest_days: r.protocol.days,
        },
        metrics: registryMetrics(best),
      }, {
        createdBy: null,
        run: {
          kind: "backtest",
          started_at: startedAt,
          ended_at: endedAt,
          tags: { "optibid.backtest_model": best.model },
          metrics: { wall_seconds: r.timing.wallSeconds },
          artifact: { name: "backtest.json", body: JSON.stringify(report, null, 2), content_type: "application/json" },
        },
      })
    );
  } finally {
    await db.close();
  }
}
