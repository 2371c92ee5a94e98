/**
 * MLflow tracking server (optional, MLFLOW_TRACKING_URI): model registry and
 * experiment tracking for price forecasts. Without it, models live in the
 * model registry table.
 *
 * Plain fetch against MLflow's REST API 2.0: `POST /api/2.0/mlflow/experiments/search`
 * (the documented method, and what MLflow's own Python client sends; servers ≥ 2.0
 * also accept GET). The tracking URI may carry a path prefix (behind a proxy) and
 * basic-auth credentials (`http://user:pass@host:5000`), which fetch will not take
 * inside a URL, so they go into an Authorization header.
 */
import { z } from "zod";
import type { Config } from "../config/env.ts";
import type { ServiceAdapter } from "../health/types.ts";

export const MLFLOW_FEATURES = ["model registry", "experiment tracking"] as const;

const experimentSchema = z.object({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string().optional(),
  lifecycle_stage: z.string().optional(),
  last_update_time: z.coerce.number().optional(),
  creation_time: z.coerce.number().optional(),
  tags: z.array(z.object({ key: z.string(), value: z.string().optional() })).optional(),
});

// Protobuf JSON omits empty fields: no experiments at all comes back as `{}`.
const searchExperimentsResponseSchema = z.object({
  experiments: z.array(experimentSchema).optional(),
  next_page_token: z.string().optional(),
});

const errorBodySchema = z.object({ error_code: z.string().optional(), message: z.string().optional() });

export type MlflowExperiment = z.infer<typeof experimentSchema>;

export interface SearchExperimentsOptions {
  maxResults?: number;
  filter?: string;
  orderBy?: string[];
  pageToken?: string;
  viewType?: "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";
  signal?: AbortSignal;
}

export interface SearchExperimentsResult {
  experiments: MlflowExperiment[];
  nextPageToken: string | null;
}

export interface MlflowClient {
  searchExperiments(options?: SearchExperimentsOptions): Promise<SearchExperimentsResult>;
  /**
   * One REST call under the tracking URI (`api/2.0/mlflow/...`): a JSON body for POST, query
   * parameters for GET; the parsed JSON answer, or an MlflowError (its status and error_code).
   */
  request(
    method: "GET" | "POST",
    path: string,
    input?: { body?: unknown; query?: Record<string, string>; signal?: AbortSignal },
  ): Promise<unknown>;
  /** Uploads a file through the artifact proxy (`PUT api/2.0/mlflow-artifacts/artifacts/<path>`). */
  putArtifact(path: string, body: string, contentType: string, signal?: AbortSignal): Promise<void>;
}

export interface MlflowAdapter extends ServiceAdapter {
  /** The client once started, null before and after; ask the registry whether MLflow answers right now. */
  client(): MlflowClient | null;
}

export class MlflowError extends Error {
  constructor(readonly httpStatus: number, readonly errorCode: string | null, message: string) {
    super(`MLflow ${httpStatus}${errorCode ? ` ${errorCode}` : ""}: ${message}`);
    this.name = "MlflowError";
  }
}

export function createMlflowClient(trackingUri: string, options: { timeoutMs: number }): MlflowClient {
  const base = new URL(trackingUri);
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (base.username || base.password) {
    const user = decodeURIComponent(base.username);
    const pass = decodeURIComponent(base.password);
    headers.authorization = "Basic " + btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${pass}`)));
    base.username = "";
    base.password = "";
  }
  if (!base.pathname.endsWith("/")) base.pathname += "/";

  // Every call is bounded: a hung server costs at most timeoutMs, never a stuck caller.
  async function send(
    method: string,
    url: URL,
    init: { body?: string; headers?: Record<string, string> },
    signal?: AbortSignal,
  ) {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const h: Record<string, string> = { ...headers, ...init.headers };
    if (init.body === undefined) delete h["content-type"];
    const res = await fetch(url, {
      method,
      headers: h,
      body: init.body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    return { res, text: await res.text() };
  }

  function failure(res: Response, text: string): MlflowError {
    let parsed: z.infer<typeof errorBodySchema> = {};
    try {
      parsed = errorBodySchema.parse(JSON.parse(text));
    } catch { /* a proxy's HTML error page, say */ }
    return new MlflowError(
      res.status,
      parsed.error_code ?? null,
      parsed.message ?? (text.slice(0, 200) || res.statusText),
    );
  }

  async function call(
    path: string,
    body: unknown,
    signal?: AbortSignal,
    method: "GET" | "POST" = "POST",
    query?: Record<string, string>,
  ): Promise<unknown> {
    const url = new URL(path, base);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    const { res, text } = await send(
      method,
      url,
      method === "POST" ? { body: JSON.stringify(body ?? {}) } : {},
      signal,
    );
    if (!res.ok) {
      throw failure(res, text);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new MlflowError(res.status, null, `expected a JSON answer from ${path}, got ${text.slice(0, 80)}`);
    }
  }

  return {
    async searchExperiments(opts = {}) {
      const body: Record<string, unknown> = { max_results: opts.maxResults ?? 1000 };
      if (opts.filter) body.filter = opts.filter;
      if (opts.orderBy?.length) body.order_by = opts.orderBy;
      if (opts.pageToken) body.page_token = opts.pageToken;
      if (opts.viewType) body.view_type = opts.viewType;
      const raw = await call("api/2.0/mlflow/experiments/search", body, opts.signal);
      const parsed = searchExperimentsResponseSchema.safeParse(raw);
      if (!parsed.success) {
        throw new MlflowError(200, null, `unexpected experiments/search answer: ${parsed.error.issues[0]?.message}`);
      }
      return { experiments: parsed.data.experiments ?? [], nextPageToken: parsed.data.next_page_token || null };
    },
    request: (method, path, input = {}) => call(path, input.body, input.signal, method, input.query),
    async putArtifact(path, body, contentType, signal) {
      const url = new URL(
        "api/2.0/mlflow-artifacts/artifacts/" + path.split("/").map(encodeURIComponent).join("/"),
        base,
      );
      const { res, text } = await send("PUT", url, { body, headers: { "content-type": contentType } }, signal);
      if (!res.ok) throw failure(res, text);
    },
  };
}

export function createMlflowAdapter(config: Pick<Config, "mlflowTrackingUri" | "serviceTimeoutMs">): MlflowAdapter {
  let current: MlflowClient | null = null;

  // The cheapest call that proves the tracking server and its backend store answer.
  const probe = (client: MlflowClient, signal: AbortSignal) => client.searchExperiments({ maxResults: 1, signal });

  return {
    name: "mlflow",
    required: false,
    configured: Boolean(config.mlflowTrackingUri),
    features: MLFLOW_FEATURES,

    async start(signal) {
      if (!config.mlflowTrackingUri) throw new Error("MLFLOW_TRACKING_URI is not set");
      const client = createMlflowClient(config.mlflowTrackingUri, { timeoutMs: config.serviceTimeoutMs });
      await probe(client, signal);
      current = client;
    },

    async check(signal) {
      if (!current) throw new Error("mlflow client not started");
      await probe(current, signal);
    },

    stop() {
      // Stateless HTTP: nothing to close.
      current = null;
      return Promise.resolve();
    },

    client: () => current,
  };
}
