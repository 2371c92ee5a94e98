/**
 * One outbox event to MLflow through its REST API 2.0. A run: the experiment (get-by-name, else
 * create), runs/create, runs/log-batch, the report through the artifact proxy where the server
 * has one, runs/update (FINISHED), and for a new registry version the registered model (get, else
 * create) and model-versions/create. An alias event: registered-models/alias `production`.
 *
 * Each step that creates something in MLflow records its result in `progress` (saved with the
 * event), so a delivery cut off half-way resumes where it stopped instead of making a second run.
 */
import type { MlflowClient } from "../adapters/mlflow.ts";
import { MlflowError } from "../adapters/mlflow.ts";
import type { Queryable } from "../../db/database.ts";
import { log } from "../log/logger.ts";
import type { AliasEvent, MlflowEvent, RunEvent } from "./mlflow_events.ts";

export interface DeliveryProgress {
  experiment_id?: string;
  run_id?: string;
  artifact_uri?: string;
  logged?: boolean;
  artifact?: "stored" | "refused" | "skipped";
  finished?: boolean;
  model_version?: string;
}

export interface DeliveryContext {
  client: MlflowClient;
  db: Queryable;
  progress: DeliveryProgress;
  /** Persists `progress` (called after each step that changed MLflow). */
  save(progress: DeliveryProgress): Promise<void>;
  signal?: AbortSignal;
}

/** Experiments are per model name, so MLflow's UI lists a model's runs together. */
export const experimentName = (modelName: string) => `optibid/${modelName}`;

// MLflow's documented limits per log-batch request; values kept within the smallest backend's sizes.
const BATCH = { params: 100, tags: 100, total: 1000 };
const PARAM_VALUE_MAX = 500;
const TAG_VALUE_MAX = 5000;
const KEY_MAX = 250;

/** MLflow names: alphanumerics, `_ - . / ` and space. */
const key = (k: string) => k.replace(/[^\w\-./ ]/g, "_").slice(0, KEY_MAX) || "_";

export function flattenParams(params: Record<string, unknown>, prefix = ""): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const [k, v] of Object.entries(params)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      out.push(...flattenParams(v as Record<string, unknown>, name));
    } else {
      const value = typeof v === "string" ? v : JSON.stringify(v) ?? "null";
      out.push({ key: key(name), value: value.slice(0, PARAM_VALUE_MAX) });
    }
  }
  return out;
}

export async function deliver(ctx: DeliveryContext, event: MlflowEvent): Promise<void> {
  if (event.type === "run") await deliverRun(ctx, event);
  else await deliverAlias(ctx, event);
}

const isCode = (e: unknown, code: string) => e instanceof MlflowError && e.errorCode === code;

async function experimentId(ctx: DeliveryContext, name: string): Promise<string> {
  const get = async () => {
    const r = await ctx.client.request("GET", "api/2.0/mlflow/experiments/get-by-name", {
      query: { experiment_name: name },
      signal: ctx.signal,
    }) as { experiment?: { experiment_id?: string } };
    const id = r.experiment?.experiment_id;
    if (!id) throw new MlflowError(200, null, "experiments/get-by-name answered without an experiment_id");
    return id;
  };
  try {
    return await get();
  } catch (e) {
    if (!isCode(e, "RESOURCE_DOES_NOT_EXIST")) throw e;
  }
  try {
    const r = await ctx.client.request("POST", "api/2.0/mlflow/experiments/create", {
      body: { name },
      signal: ctx.signal,
    }) as { experiment_id?: string };
    if (!r.experiment_id) throw new MlflowError(200, null, "experiments/create answered without an experiment_id");
    return r.experiment_id;
  } catch (e) {
    // Another writer made it meanwhile.
    if (isCode(e, "RESOURCE_ALREADY_EXISTS")) return await get();
    throw e;
  }
}

async function deliverRun(ctx: DeliveryContext, e: RunEvent): Promise<void> {
  const p = ctx.progress;
  const step = async (apply: () => Promise<void>) => {
    await apply();
    await ctx.save(p);
  };
  const startMs = Date.parse(e.started_at);
  const endMs = Date.parse(e.ended_at);

  if (!p.run_id) {
    await step(async () => {
      p.experiment_id ??= await experimentId(ctx, experimentName(e.model_name));
      const r = await ctx.client.request("POST", "api/2.0/mlflow/runs/create", {
        body: {
          experiment_id: p.experiment_id,
          run_name: `${e.model_name} v${e.model_version} ${e.kind} ${e.started_at.slice(0, 10)}`,
          start_time: startMs,
          tags: [{ key: "mlflow.source.name", value: "optibid" }],
        },
        signal: ctx.signal,
      }) as { run?: { info?: { run_id?: string; artifact_uri?: string } } };
      const info = r.run?.info;
      if (!info?.run_id) throw new MlflowError(200, null, "runs/create answered without a run_id");
      p.run_id = info.run_id;
      p.artifact_uri = info.artifact_uri ?? "";
    });
  }
  const runId = p.run_id!;

  if (!p.logged) {
    await step(async () => {
      const params = flattenParams(e.params);
      const metrics = Object.entries(e.metrics).map(([k, value]) => ({
        key: key(k),
        value,
        timestamp: endMs,
        step: 0,
      }));
      const tags = [
        ...Object.entries({
          "optibid.model_id": e.model_id,
          "optibid.model_name": e.model_name,
          "optibid.model_version": String(e.model_version),
          "optibid.kind": e.kind,
          ...e.tags,
        }).map(([k, v]) => ({ key: key(k), value: v.slice(0, TAG_VALUE_MAX) })),
      ];
      // One request when it fits MLflow's per-request limits (100 params, 100 tags, 1000 entries in all).
      let pi = 0, ti = 0, mi = 0;
      do {
        const ps = params.slice(pi, pi + BATCH.params);
        const ts = tags.slice(ti, ti + BATCH.tags);
        const ms = metrics.slice(mi, mi + BATCH.total - ps.length - ts.length);
        [pi, ti, mi] = [pi + ps.length, ti + ts.length, mi + ms.length];
        await logBatch(ctx, runId, { params: ps, tags: ts, metrics: ms });
      } while (pi < params.length || ti < tags.length || mi < metrics.length);
      p.logged = true;
    });
  }

  if (!p.artifact) {
    await step(async () => {
      p.artifact = await storeArtifact(ctx, e, p.artifact_uri ?? "");
    });
  }

  if (!p.finished) {
    await step(async () => {
      await ctx.client.request("POST", "api/2.0/mlflow/runs/update", {
        body: { run_id: runId, status: "FINISHED", end_time: endMs },
        signal: ctx.signal,
      });
      p.finished = true;
    });
  }

  if (e.register && !p.model_version) {
    await step(async () => {
      await ensureRegisteredModel(ctx, e.model_name);
      const r = await ctx.client.request("POST", "api/2.0/mlflow/model-versions/create", {
        body: {
          name: e.model_name,
          source: p.artifact_uri || `runs:/${runId}`,
          run_id: runId,
          tags: [
            { key: "optibid.model_id", value: e.model_id },
            { key: "optibid.version", value: String(e.model_version) },
          ],
          description: `OptiBid registry ${e.model_name} v${e.model_version}`,
        },
        signal: ctx.signal,
      }) as { model_version?: { version?: string | number } };
      const version = r.model_version?.version;
      if (version === undefined) throw new MlflowError(200, null, "model-versions/create answered without a version");
      p.model_version = String(version);
      await ctx.db.query(
        `INSERT INTO mlflow_model_versions (model_id, run_id, mlflow_version) VALUES ($1::uuid, $2, $3)
         ON CONFLICT (model_id) DO UPDATE SET run_id = EXCLUDED.run_id, mlflow_version = EXCLUDED.mlflow_version`,
        [e.model_id, runId, p.model_version],
      );
    });
  }
}

async function logBatch(
  ctx: DeliveryContext,
  runId: string,
  batch: { params?: unknown[]; metrics?: unknown[]; tags?: unknown[] },
) {
  await ctx.client.request("POST", "api/2.0/mlflow/runs/log-batch", {
    body: { run_id: runId, metrics: batch.metrics ?? [], params: batch.params ?? [], tags: batch.tags ?? [] },
    signal: ctx.signal,
  });
}

/**
 * The report through MLflow's artifact proxy (`mlflow-artifacts:` artifact URIs, i.e. a server
 * started with artifact serving). A server without it, or one that refuses the upload, leaves
 * the run without its report: a refusal there is not a failure of the run. Not answering is an
 * outage like any other, and the delivery is retried.
 */
async function storeArtifact(ctx: DeliveryContext, e: RunEvent, artifactUri: string) {
  if (!e.artifact) return "skipped" as const;
  const m = artifactUri.match(/^mlflow-artifacts:(?:\/\/[^/]*)?\/(.+)$/);
  if (!m) {
    log.info("mlflow: the run's artifact store is not served by the tracking server; report not uploaded", {
      artifact_uri: artifactUri,
    });
    return "skipped" as const;
  }
  try {
    await ctx.client.putArtifact(
      `${m[1].replace(/\/+$/, "")}/${e.artifact.name}`,
      e.artifact.body,
      e.artifact.content_type,
      ctx.signal,
    );
    return "stored" as const;
  } catch (err) {
    if (!(err instanceof MlflowError)) throw err;
    log.warn("mlflow refused the run's artifact; the run is logged without it", { error: err.message });
    return "refused" as const;
  }
}

async function ensureRegisteredModel(ctx: DeliveryContext, name: string): Promise<void> {
  try {
    await ctx.client.request("GET", "api/2.0/mlflow/registered-models/get", { query: { name }, signal: ctx.signal });
    return;
  } catch (e) {
    if (!isCode(e, "RESOURCE_DOES_NOT_EXIST")) throw e;
  }
  try {
    await ctx.client.request("POST", "api/2.0/mlflow/registered-models/create", {
      body: { name, description: "OptiBid day-ahead price forecast model" },
      signal: ctx.signal,
    });
  } catch (e) {
    if (!isCode(e, "RESOURCE_ALREADY_EXISTS")) throw e;
  }
}

async function deliverAlias(ctx: DeliveryContext, e: AliasEvent): Promise<void> {
  const [row] = await ctx.db.query<{ mlflow_version: string }>(
    `SELECT mlflow_version FROM mlflow_model_versions WHERE model_id = $1::uuid`,
    [e.model_id],
  );
  if (!row) {
    // Registered before MLflow was configured: MLflow has no version to point the alias at.
    log.warn("mlflow: no MLflow version for the promoted model; alias not set", {
      model: `${e.model_name} v${e.model_version}`,
    });
    return;
  }
  await ctx.client.request("POST", "api/2.0/mlflow/registered-models/alias", {
    body: { name: e.model_name, alias: e.alias, version: row.mlflow_version },
    signal: ctx.signal,
  });
}
