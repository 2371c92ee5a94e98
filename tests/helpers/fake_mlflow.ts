/**
 * A stand-in for an MLflow tracking server (REST API 2.0) that keeps what it is told and checks each
 * request against the documented endpoint, method and body (strict: an unknown or misspelt field is
 * refused as MLflow's INVALID_PARAMETER_VALUE would be). `calls` records every request in order; `errors`
 * every request it refused, so a test can assert there were none.
 */
import { z } from "zod";

export interface FakeCall {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | null;
  body: unknown;
}

const kv = z.object({ key: z.string().min(1), value: z.string() }).strict();
const metric = z.object({
  key: z.string().min(1),
  value: z.number(),
  timestamp: z.number().int(),
  step: z.number().int(),
})
  .strict();

/** Documented request bodies (POST) and query parameters (GET), by endpoint. */
const ENDPOINTS: Record<string, { method: "GET" | "POST"; schema: z.ZodType }> = {
  "/api/2.0/mlflow/experiments/get-by-name": {
    method: "GET",
    schema: z.object({ experiment_name: z.string().min(1) }).strict(),
  },
  "/api/2.0/mlflow/experiments/create": {
    method: "POST",
    schema: z.object({
      name: z.string().min(1),
      artifact_location: z.string().optional(),
      tags: z.array(kv).optional(),
    })
      .strict(),
  },
  "/api/2.0/mlflow/experiments/search": {
    method: "POST",
    schema: z.object({ max_results: z.number().int() }).passthrough(),
  },
  "/api/2.0/mlflow/runs/create": {
    method: "POST",
    schema: z.object({
      experiment_id: z.string().min(1),
      run_name: z.string().optional(),
      start_time: z.number().int(),
      tags: z.array(kv).optional(),
    }).strict(),
  },
  "/api/2.0/mlflow/runs/log-batch": {
    method: "POST",
    schema: z.object({
      run_id: z.string().min(1),
      metrics: z.array(metric).max(1000),
      params: z.array(kv.extend({ value: z.string().max(6000) })).max(100),
      tags: z.array(kv).max(100),
    }).strict(),
  },
  "/api/2.0/mlflow/runs/update": {
    method: "POST",
    schema: z.object({
      run_id: z.string().min(1),
      status: z.enum(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]),
      end_time: z.number().int(),
    }).strict(),
  },
  "/api/2.0/mlflow/registered-models/get": { method: "GET", schema: z.object({ name: z.string().min(1) }).strict() },
  "/api/2.0/mlflow/registered-models/create": {
    method: "POST",
    schema: z.object({ name: z.string().min(1), description: z.string().optional(), tags: z.array(kv).optional() })
      .strict(),
  },
  "/api/2.0/mlflow/model-versions/create": {
    method: "POST",
    schema: z.object({
      name: z.string().min(1),
      source: z.string().min(1),
      run_id: z.string().optional(),
      tags: z.array(kv).optional(),
      run_link: z.string().optional(),
      description: z.string().optional(),
    }).strict(),
  },
  "/api/2.0/mlflow/registered-models/alias": {
    method: "POST",
    schema: z.object({ name: z.string().min(1), alias: z.string().min(1), version: z.string().regex(/^\d+$/) })
      .strict(),
  },
};

export interface FakeMlflowOptions {
  /** How the artifact proxy answers a PUT (default: stores it). */
  artifacts?: "store" | "refuse";
  /** Artifact URIs of new runs (default the proxy's `mlflow-artifacts:/…`). */
  artifactRoot?: "proxy" | "s3";
  /** A port to listen on (to come back where a test's outage was). */
  port?: number;
}

export function fakeMlflow(o: FakeMlflowOptions = {}) {
  const calls: FakeCall[] = [];
  const errors: string[] = [];
  const experiments = new Map<string, string>();
  const runs = new Map<string, {
    experiment_id: string;
    status: string;
    params: Map<string, string>;
    metrics: { key: string; value: number }[];
    tags: Map<string, string>;
    end_time?: number;
  }>();
  const models = new Map<string, { versions: { version: string; run_id?: string; source: string }[] }>();
  const aliases = new Map<string, string>();
  const artifacts = new Map<string, { body: string; contentType: string | null }>();
  let seq = 0;

  const mlflowError = (status: number, error_code: string, message: string) =>
    Response.json({ error_code, message }, { status });

  const server = Deno.serve({ hostname: "127.0.0.1", port: o.port ?? 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const text = await req.text();
    const call: FakeCall = {
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers.get("content-type"),
      body: null,
    };
    calls.push(call);
    const refuse = (why: string) => {
      errors.push(`${req.method} ${url.pathname}: ${why}`);
      return mlflowError(400, "INVALID_PARAMETER_VALUE", why);
    };

    if (url.pathname.startsWith("/api/2.0/mlflow-artifacts/artifacts/")) {
      if (req.method !== "PUT") return refuse("artifacts take PUT");
      call.body = text;
      if (o.artifacts === "refuse") return mlflowError(403, "PERMISSION_DENIED", "artifact uploads are disabled");
      artifacts.set(decodeURIComponent(url.pathname.slice("/api/2.0/mlflow-artifacts/artifacts/".length)), {
        body: text,
        contentType: call.contentType,
      });
      return Response.json({});
    }
    const endpoint = ENDPOINTS[url.pathname];
    if (!endpoint) return mlflowError(404, "ENDPOINT_NOT_FOUND", `no endpoint ${url.pathname}`);
    if (req.method !== endpoint.method) return refuse(`expects ${endpoint.method}, got ${req.method}`);
    let input: unknown = call.query;
    if (endpoint.method === "POST") {
      if (!call.contentType?.startsWith("application/json")) return refuse("POST needs content-type application/json");
      try {
        input = call.body = JSON.parse(text);
      } catch {
        return refuse("body is not JSON");
      }
    }
    const parsed = endpoint.schema.safeParse(input);
    if (!parsed.success) return refuse(JSON.stringify(parsed.error.issues));
    // deno-lint-ignore no-explicit-any
    const b = parsed.data as any;

    switch (url.pathname) {
      case "/api/2.0/mlflow/experiments/search":
        return Response.json({});
      case "/api/2.0/mlflow/experiments/get-by-name": {
        const id = experiments.get(b.experiment_name);
        if (!id) return mlflowError(404, "RESOURCE_DOES_NOT_EXIST", `No experiment '${b.experiment_name}'`);
        return Response.json({ experiment: { experiment_id: id, name: b.experiment_name, lifecycle_stage: "active" } });
      }
      case "/api/2.0/mlflow/experiments/create": {
        if (experiments.has(b.name)) return mlflowError(400, "RESOURCE_ALREADY_EXISTS", "exists");
        const id = String(++seq);
        experiments.set(b.name, id);
        return Response.json({ experiment_id: id });
      }
      case "/api/2.0/mlflow/runs/create": {
        if (![...experiments.values()].includes(b.experiment_id)) {
          return mlflowError(404, "RESOURCE_DOES_NOT_EXIST", "no experiment");
        }
        const run_id = crypto.randomUUID().replace(/-/g, "");
        runs.set(run_id, {
          experiment_id: b.experiment_id,
          status: "RUNNING",
          params: new Map(),
          metrics: [],
          tags: new Map((b.tags ?? []).map((t: { key: string; value: string }) => [t.key, t.value])),
        });
        const artifact_uri = o.artifactRoot === "s3"
          ? `s3://bucket/${b.experiment_id}/${run_id}/artifacts`
          : `mlflow-artifacts:/${b.experiment_id}/${run_id}/artifacts`;
        return Response.json({
          run: {
            info: { run_id, run_uuid: run_id, experiment_id: b.experiment_id, status: "RUNNING", artifact_uri },
            data: {},
          },
        });
      }
      case "/api/2.0/mlflow/runs/log-batch": {
        const run = runs.get(b.run_id);
        if (!run) return mlflowError(404, "RESOURCE_DOES_NOT_EXIST", "no run");
        for (const p of b.params) {
          if (run.params.has(p.key) && run.params.get(p.key) !== p.value) return refuse(`param ${p.key} changed`);
          run.params.set(p.key, p.value);
        }
        for (const t of b.tags) run.tags.set(t.key, t.value);
        for (const m of b.metrics) run.metrics.push({ key: m.key, value: m.value });
        return Response.json({});
      }
      case "/api/2.0/mlflow/runs/update": {
        const run = runs.get(b.run_id);
        if (!run) return mlflowError(404, "RESOURCE_DOES_NOT_EXIST", "no run");
        run.status = b.status;
        run.end_time = b.end_time;
        return Response.json({ run_info: { run_id: b.run_id, status: b.status } });
      }
      case "/api/2.0/mlflow/registered-models/get": {
        if (!models.has(b.name)) return mlflowError(404, "RESOURCE_DOES_NOT_EXIST", "no model");
        return Response.json({ registered_model: { name: b.name } });
      }
      case "/api/2.0/mlflow/registered-models/create": {
        if (models.has(b.name)) return mlflowError(400, "RESOURCE_ALREADY_EXISTS", "exists");
        models.set(b.name, { versions: [] });
        return Response.json({ registered_model: { name: b.name } });
      }
      case "/api/2.0/mlflow/model-versions/create": {
        const m = models.get(b.name);
        if (!m) return mlflowError(404, "RESOURCE_DOES_NOT_EXIST", "no registered model");
        if (b.run_id && !runs.has(b.run_id)) return mlflowError(404, "RESOURCE_DOES_NOT_EXIST", "no run");
        const version = String(m.versions.length + 1);
        m.versions.push({ version, run_id: b.run_id, source: b.source });
        return Response.json({ model_version: { name: b.name, version, status: "READY" } });
      }
      case "/api/2.0/mlflow/registered-models/alias": {
        const m = models.get(b.name);
        if (!m?.versions.some((v) => v.version === b.version)) {
          return mlflowError(404, "RESOURCE_DOES_NOT_EXIST", "no such version");
        }
        aliases.set(`${b.name}@${b.alias}`, b.version);
        return Response.json({});
      }
    }
    return mlflowError(500, "INTERNAL_ERROR", "unhandled");
  });

  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    calls,
    errors,
    experiments,
    runs,
    models,
    aliases,
    artifacts,
    /** Calls by endpoint, as `METHOD path`. */
    endpoints: () => calls.map((c) => `${c.method} ${c.path.replace(/(mlflow-artifacts\/artifacts\/).*/, "$1…")}`),
    close: () => server.shutdown(),
  };
}
