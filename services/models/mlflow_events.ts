/**
 * What the registry tells MLflow, as outbox events (topic `mlflow.runs`): written in the same
 * transaction as the registry row or the run's record, delivered later by the MLflow relay
 * (mlflow_relay.ts), in order, whenever MLflow answers. The registry table is the record; MLflow
 * gets a copy.
 */
import { z } from "zod";
import type { Queryable } from "../../db/database.ts";
import { enqueueEvent, MLFLOW_RUNS_TOPIC } from "../bids/outbox.ts";
import { notFound } from "../errors.ts";

/** An artifact larger than this is left out of the event (the outbox row stays small); the run is still logged. */
export const MAX_ARTIFACT_CHARS = 2_000_000;

export const runEvent = z.object({
  type: z.literal("run"),
  model_id: z.uuid(),
  model_name: z.string(),
  model_version: z.number().int(),
  kind: z.enum(["training", "backtest"]),
  params: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.number()),
  tags: z.record(z.string(), z.string()),
  started_at: z.string(),
  ended_at: z.string(),
  artifact: z.object({ name: z.string(), body: z.string(), content_type: z.string() }).nullable(),
  /** The run registers the version in MLflow's model registry (once per registry row). */
  register: z.boolean(),
});
export type RunEvent = z.infer<typeof runEvent>;

export const aliasEvent = z.object({
  type: z.literal("alias"),
  model_id: z.uuid(),
  model_name: z.string(),
  model_version: z.number().int(),
  alias: z.literal("production"),
});
export type AliasEvent = z.infer<typeof aliasEvent>;

export const mlflowEvent = z.discriminatedUnion("type", [runEvent, aliasEvent]);
export type MlflowEvent = z.infer<typeof mlflowEvent>;

export interface TrainingRun {
  model_id: string;
  kind: "training" | "backtest";
  /** Flattened into MLflow params (`a.b` for nested keys); values become strings. */
  params?: Record<string, unknown>;
  /** Only finite numbers reach MLflow (it takes no NaN in JSON). */
  metrics?: Record<string, number>;
  tags?: Record<string, string>;
  started_at: Date | string;
  ended_at: Date | string;
  /** The run's report, e.g. `{ name: "backtest.json", body: JSON.stringify(report) }`. */
  artifact?: { name: string; body: string; content_type?: string };
}

const artifactName = (name: string) => name.replace(/[^\w.-]+/g, "_").slice(0, 200) || "report";

function runPayload(
  model: { id: string; name: string; version: number },
  run: TrainingRun,
  register: boolean,
): RunEvent {
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(run.metrics ?? {})) if (Number.isFinite(v)) metrics[k] = v;
  const artifact = run.artifact && run.artifact.body.length <= MAX_ARTIFACT_CHARS
    ? {
      name: artifactName(run.artifact.name),
      body: run.artifact.body,
      content_type: run.artifact.content_type ?? contentTypeOf(run.artifact.name),
    }
    : null;
  const tags = { ...run.tags };
  if (run.artifact && !artifact) {
    tags["optibid.artifact_omitted"] = `${run.artifact.name}: larger than the outbox takes`;
  }
  return {
    type: "run",
    model_id: model.id,
    model_name: model.name,
    model_version: model.version,
    kind: run.kind,
    params: run.params ?? {},
    metrics,
    tags,
    started_at: new Date(run.started_at).toISOString(),
    ended_at: new Date(run.ended_at).toISOString(),
    artifact,
    register,
  };
}

function contentTypeOf(name: string): string {
  if (name.endsWith(".json")) return "application/json";
  if (name.endsWith(".md")) return "text/markdown";
  if (name.endsWith(".svg")) return "image/svg+xml";
  return "text/plain";
}

/**
 * Logs a training or backtest run of a registered model version to MLflow: enqueues it in `q`,
 * which should be the transaction that records the run (a forecast run, a new version), so
 * the run reaches MLflow if and only if its record commits. 404 for an unknown model.
 */
export async function logTrainingRun(q: Queryable, run: TrainingRun): Promise<void> {
  const [model] = await q.query<{ id: string; name: string; version: number }>(
    `SELECT id, name, version FROM models WHERE id = $1::uuid`,
    [run.model_id],
  );
  if (!model) throw notFound(`No model ${run.model_id}`, { code: "model_not_found" });
  await enqueueRun(q, { ...model, version: Number(model.version) }, run, false);
}

/** The run that registers a new version (the registry's own). */
export async function enqueueRun(
  q: Queryable,
  model: { id: string; name: string; version: number },
  run: TrainingRun,
  register: boolean,
): Promise<void> {
  await enqueueEvent(q, MLFLOW_RUNS_TOPIC, model.id, runPayload(model, run, register));
}

export async function enqueueAlias(q: Queryable, model: { id: string; name: string; version: number }) {
  const e: AliasEvent = {
    type: "alias",
    model_id: model.id,
    model_name: model.name,
    model_version: model.version,
    alias: "production",
  };
  await enqueueEvent(q, MLFLOW_RUNS_TOPIC, model.id, e);
}
