import assert from "node:assert/strict";
import { createMlflowAdapter, MlflowError } from "../../services/adapters/mlflow.ts";
import { loadConfig } from "../../services/config/env.ts";
import { HealthRegistry } from "../../services/health/registry.ts";
import { setLogSink } from "../../services/log/logger.ts";

interface Seen {
  method: string;
  path: string;
  contentType: string | null;
  authorization: string | null;
  body: unknown;
}

/** A stand-in for an MLflow tracking server: records each request, answers with `reply`. */
function fakeMlflow(reply: (seen: Seen) => Response) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const text = await req.text();
    const entry: Seen = {
      method: req.method,
      path: new URL(req.url).pathname + new URL(req.url).search,
      contentType: req.headers.get("content-type"),
      authorization: req.headers.get("authorization"),
      body: text ? JSON.parse(text) : null,
    };
    seen.push(entry);
    return reply(entry);
  });
  return { seen, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

const experiments = {
  experiments: [{
    experiment_id: "0",
    name: "Default",
    artifact_location: "mlflow-artifacts:/0",
    lifecycle_stage: "active",
    last_update_time: "1767225600000",
    creation_time: "1767225600000",
    tags: [{ key: "team", value: "forecast" }],
  }],
  next_page_token: "tok1",
};

const config = (uri?: string) => loadConfig({ MLFLOW_TRACKING_URI: uri, SERVICE_TIMEOUT_MS: "500" });

Deno.test("mlflow adapter: start and check POST experiments/search as MLflow's REST API expects", async () => {
  const srv = fakeMlflow(() => Response.json(experiments));
  try {
    const adapter = createMlflowAdapter(config(srv.url));
    assert.equal(adapter.configured, true);
    assert.equal(adapter.required, false);
    assert.deepEqual([...adapter.features], ["model registry", "experiment tracking"]);
    assert.equal(adapter.client(), null);

    await adapter.start(AbortSignal.timeout(1000));
    await adapter.check(AbortSignal.timeout(1000));
    assert.equal(srv.seen.length, 2);
    for (const req of srv.seen) {
      assert.equal(req.method, "POST");
      assert.equal(req.path, "/api/2.0/mlflow/experiments/search");
      assert.equal(req.contentType, "application/json");
      assert.deepEqual(req.body, { max_results: 1 });
      assert.equal(req.authorization, null);
    }

    const page = await adapter.client()!.searchExperiments({ maxResults: 5, filter: "name LIKE 'lmp%'" });
    assert.deepEqual(srv.seen[2].body, { max_results: 5, filter: "name LIKE 'lmp%'" });
    assert.equal(page.nextPageToken, "tok1");
    assert.equal(page.experiments.length, 1);
    assert.equal(page.experiments[0].name, "Default");
    assert.equal(page.experiments[0].creation_time, 1767225600000, "int64 strings become numbers");
    assert.deepEqual(page.experiments[0].tags, [{ key: "team", value: "forecast" }]);

    await adapter.stop();
    assert.equal(adapter.client(), null);
  } finally {
    await srv.close();
  }
});

Deno.test("mlflow adapter: a path prefix and basic-auth credentials in the URI are honoured", async () => {
  const srv = fakeMlflow(() => Response.json({})); // protobuf JSON: no experiments at all is `{}`
  try {
    const uri = srv.url.replace("http://", "http://ml%20user:p%40ss@") + "/mlflow";
    const adapter = createMlflowAdapter(config(uri));
    await adapter.start(AbortSignal.timeout(1000));
    assert.equal(srv.seen[0].path, "/mlflow/api/2.0/mlflow/experiments/search");
    assert.equal(srv.seen[0].authorization, "Basic " + btoa("ml user:p@ss"));
    const page = await adapter.client()!.searchExperiments();
    assert.deepEqual(page, { experiments: [], nextPageToken: null });
    await adapter.stop();
  } finally {
    await srv.close();
  }
});

Deno.test("mlflow adapter: MLflow's error body and non-JSON answers are failures with a clear message", async () => {
  let mode: "error" | "html" | "shape" = "error";
  const srv = fakeMlflow(() => {
    if (mode === "error") {
      return Response.json({ error_code: "INTERNAL_ERROR", message: "backend store down" }, { status: 500 });
    }
    if (mode === "html") return new Response("<html>hello</html>", { headers: { "content-type": "text/html" } });
    return Response.json({ experiments: [{ nope: 1 }] });
  });
  try {
    const adapter = createMlflowAdapter(config(srv.url));
    await assert.rejects(adapter.start(AbortSignal.timeout(1000)), (err: Error) => {
      assert.ok(err instanceof MlflowError);
      assert.equal(err.httpStatus, 500);
      assert.equal(err.errorCode, "INTERNAL_ERROR");
      assert.equal(err.message, "MLflow 500 INTERNAL_ERROR: backend store down");
      return true;
    });
    mode = "html";
    await assert.rejects(adapter.start(AbortSignal.timeout(1000)), /expected a JSON answer/);
    mode = "shape";
    await assert.rejects(adapter.start(AbortSignal.timeout(1000)), /unexpected experiments\/search answer/);
    assert.equal(adapter.client(), null);
    await assert.rejects(adapter.check(AbortSignal.timeout(1000)), /not started/);
  } finally {
    await srv.close();
  }
});

Deno.test("mlflow adapter: the caller's signal aborts a request", async () => {
  const srv = fakeMlflow(() => Response.json(experiments));
  const adapter = createMlflowAdapter(config(srv.url));
  try {
    const controller = new AbortController();
    controller.abort(new Error("registry gave up"));
    await assert.rejects(adapter.start(controller.signal), /registry gave up/);
    assert.equal(srv.seen.length, 0);
  } finally {
    await srv.close();
  }
});

Deno.test("mlflow adapter: without MLFLOW_TRACKING_URI it is disabled and never called", async () => {
  const adapter = createMlflowAdapter(config(undefined));
  assert.equal(adapter.configured, false);
  assert.equal(adapter.client(), null);
  await assert.rejects(adapter.start(AbortSignal.timeout(100)), /MLFLOW_TRACKING_URI is not set/);

  const restore = setLogSink(() => {});
  const reg = new HealthRegistry({ attemptTimeoutMs: 500 }).register(adapter);
  try {
    await reg.start();
    const state = reg.state("mlflow")!;
    assert.equal(state.status, "disabled");
    assert.deepEqual([...state.features], ["model registry", "experiment tracking"]);
    assert.equal(reg.overall(), "healthy");
  } finally {
    await reg.stop();
    restore();
  }
});
