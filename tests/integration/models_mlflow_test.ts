/**
 * The model registry's MLflow copy: the exact REST calls and bodies (against a fake MLflow that checks
 * them), the artifact proxy's refusal, and outages (a closed port, a server that accepts and never
 * answers): the events wait in the outbox, requests are not slowed, and once MLflow is back they
 * arrive in order. The bus relay never publishes them.
 */
import assert from "node:assert/strict";
import type { Database } from "../../db/database.ts";
import { createMlflowClient } from "../../services/adapters/mlflow.ts";
import type { Principal } from "../../services/auth/principal.ts";
import { MLFLOW_RUNS_TOPIC, relayOutbox } from "../../services/bids/outbox.ts";
import { logTrainingRun, type ModelCaller, promoteModel, registerModel } from "../../services/models/actions.ts";
import { relayMlflowOnce } from "../../services/models/mlflow_relay.ts";
import { setLogSink } from "../../services/log/logger.ts";
import { call, createOrg, expectStatus, opts } from "../helpers/auth.ts";
import { fakeMlflow } from "../helpers/fake_mlflow.ts";
import { freePort, silentListener } from "../helpers/ports.ts";
import { testApp } from "../helpers/test_app.ts";

setLogSink(() => {});

let n = 0;
const uniqueName = (tag: string) => `${tag}-${Date.now().toString(36)}-${n++}`;

async function operatorCaller(): Promise<ModelCaller> {
  const t = await testApp();
  const org = await createOrg(t, "mlflow");
  const principal: Principal = {
    userId: org.admin.userId,
    orgId: org.id,
    role: "admin",
    email: org.admin.email,
    name: org.admin.name,
    via: "bearer",
  };
  return { principal, operator: true, ip: "127.0.0.1" };
}

/** Events of earlier tests are delivered or dropped here, so each test sees its own. */
async function clearPending(db: Database) {
  await db.query(`UPDATE outbox SET sent_at = now() WHERE topic = $1 AND sent_at IS NULL`, [MLFLOW_RUNS_TOPIC]);
}

async function pending(db: Database) {
  return await db.query<{ id: string; attempts: number; last_error: string | null; payload: { type: string } }>(
    `SELECT id::text AS id, attempts, last_error, payload FROM outbox WHERE topic = $1 AND sent_at IS NULL ORDER BY id`,
    [MLFLOW_RUNS_TOPIC],
  );
}

/** A fake MLflow on `port`, once the OS has let go of the listener that was there. */
async function listenAgain(port: number) {
  for (let i = 0;; i++) {
    try {
      return fakeMlflow({ port });
    } catch (e) {
      if (!(e instanceof Deno.errors.AddrInUse) || i > 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const relay = (db: Database, url: string, timeoutMs = 1000) =>
  relayMlflowOnce(db, createMlflowClient(url, { timeoutMs }), { holder: crypto.randomUUID(), leaseMs: 30_000 });

Deno.test("mlflow: register, log, promote → the exact REST API 2.0 calls and bodies, in order", opts, async () => {
  const t = await testApp();
  const db = t.services.db();
  await clearPending(db);
  const caller = await operatorCaller();
  const name = uniqueName("lear");
  const deps = { db };
  const report = JSON.stringify({ rows: [{ model: "ours LEAR ensemble", mae: 3.1 }] });
  const v1 = await registerModel(deps, {
    name,
    params: { model: "LEAR", windows: [56, 84], intervals: { lookback: 182 } },
    training_window: { days: 1456 },
    metrics: { MAE: 3.1, rMAE: 0.45 },
  }, {
    run: {
      kind: "backtest",
      started_at: "2026-12-03T10:00:00Z",
      ended_at: "2026-12-03T10:20:00Z",
      artifact: { name: "backtest.json", body: report },
      tags: { dataset: "epftoolbox" },
    },
  });
  await db.transaction((tx) =>
    logTrainingRun(tx, {
      model_id: v1.id,
      kind: "training",
      params: { zone: "PJM" },
      metrics: { MAE: 2.5, bad: Number.NaN },
      tags: {},
      started_at: "2026-12-03T11:00:00Z",
      ended_at: "2026-12-03T11:00:05Z",
    })
  );
  const v2 = await registerModel(deps, { name, params: { model: "LEAR", windows: [56] }, metrics: { MAE: 3.0 } });
  await promoteModel(deps, caller, v2.id);
  assert.equal((await pending(db)).length, 4, "4 events wait: 3 runs and an alias");

  const fake = fakeMlflow();
  try {
    assert.equal(await relay(db, fake.url), "delivered");
    assert.deepEqual(fake.errors, [], "every request as MLflow documents it");
    const calls = fake.endpoints();
    assert.deepEqual(calls, [
      // v1's backtest run, registering v1
      "GET /api/2.0/mlflow/experiments/get-by-name",
      "POST /api/2.0/mlflow/experiments/create",
      "POST /api/2.0/mlflow/runs/create",
      "POST /api/2.0/mlflow/runs/log-batch",
      "PUT /api/2.0/mlflow-artifacts/artifacts/…",
      "POST /api/2.0/mlflow/runs/update",
      "GET /api/2.0/mlflow/registered-models/get",
      "POST /api/2.0/mlflow/registered-models/create",
      "POST /api/2.0/mlflow/model-versions/create",
      // v1's training run (no report, no new version)
      "GET /api/2.0/mlflow/experiments/get-by-name",
      "POST /api/2.0/mlflow/runs/create",
      "POST /api/2.0/mlflow/runs/log-batch",
      "POST /api/2.0/mlflow/runs/update",
      // v2's registration
      "GET /api/2.0/mlflow/experiments/get-by-name",
      "POST /api/2.0/mlflow/runs/create",
      "POST /api/2.0/mlflow/runs/log-batch",
      "POST /api/2.0/mlflow/runs/update",
      "GET /api/2.0/mlflow/registered-models/get",
      "POST /api/2.0/mlflow/model-versions/create",
      // the promotion
      "POST /api/2.0/mlflow/registered-models/alias",
    ]);
    assert.deepEqual(fake.calls[0].query, { experiment_name: `optibid/${name}` });
    assert.deepEqual(fake.calls[1].body, { name: `optibid/${name}` });
    const expId = fake.experiments.get(`optibid/${name}`)!;
    const createRun = fake.calls[2].body as Record<string, unknown>;
    assert.equal(createRun.experiment_id, expId);
    assert.equal(createRun.start_time, Date.parse("2026-12-03T10:00:00Z"));

    const batch = fake.calls[3].body as {
      run_id: string;
      params: { key: string; value: string }[];
      metrics: { key: string; value: number; timestamp: number; step: number }[];
      tags: { key: string; value: string }[];
    };
    assert.deepEqual(
      batch.params.sort((a, b) => a.key.localeCompare(b.key)),
      [
        { key: "intervals.lookback", value: "182" },
        { key: "model", value: "LEAR" },
        { key: "windows", value: "[56,84]" },
      ],
    );
    assert.deepEqual(
      batch.metrics.sort((a, b) => a.key.localeCompare(b.key)),
      [
        { key: "MAE", value: 3.1, timestamp: Date.parse("2026-12-03T10:20:00Z"), step: 0 },
        { key: "rMAE", value: 0.45, timestamp: Date.parse("2026-12-03T10:20:00Z"), step: 0 },
      ],
    );
    const tags = Object.fromEntries(batch.tags.map((t) => [t.key, t.value]));
    assert.equal(tags["optibid.model_id"], v1.id);
    assert.equal(tags["optibid.model_version"], "1");
    assert.equal(tags["optibid.kind"], "backtest");
    assert.equal(tags.dataset, "epftoolbox");

    const run1 = fake.runs.get(batch.run_id)!;
    assert.equal(run1.status, "FINISHED");
    assert.equal(run1.end_time, Date.parse("2026-12-03T10:20:00Z"));
    const stored = fake.artifacts.get(`${expId}/${batch.run_id}/artifacts/backtest.json`);
    assert.equal(stored?.body, report, "the report went through the artifact proxy");
    assert.equal(stored?.contentType, "application/json");

    // The training run: NaN left out (MLflow takes no NaN), its own params.
    const trainingBatch = fake.calls[11].body as typeof batch;
    assert.deepEqual(trainingBatch.metrics.map((m) => m.key), ["MAE"]);
    assert.deepEqual(trainingBatch.params, [{ key: "zone", value: "PJM" }]);

    // Model versions: MLflow's numbers, tied to their runs; the alias names MLflow's version of v2.
    const mv = fake.models.get(name)!.versions;
    assert.equal(mv.length, 2);
    assert.equal(mv[0].run_id, batch.run_id);
    assert.equal(mv[0].source, `mlflow-artifacts:/${expId}/${batch.run_id}/artifacts`);
    assert.deepEqual(fake.calls.at(-1)!.body, { name, alias: "production", version: "2" });
    assert.equal(fake.aliases.get(`${name}@production`), "2");
    const mapped = await db.query<{ model_id: string; mlflow_version: string }>(
      `SELECT model_id::text, mlflow_version FROM mlflow_model_versions WHERE model_id = ANY($1::uuid[]) ORDER BY 2`,
      [[v1.id, v2.id]],
    );
    assert.deepEqual(mapped, [{ model_id: v1.id, mlflow_version: "1" }, { model_id: v2.id, mlflow_version: "2" }]);

    assert.equal((await pending(db)).length, 0, "all delivered");
    assert.equal(await relay(db, fake.url), "idle", "nothing delivered twice");
    assert.equal(fake.calls.length, calls.length);
  } finally {
    await fake.close();
  }
});

Deno.test("mlflow: a refused artifact upload or a store it does not proxy does not fail the run", opts, async () => {
  const t = await testApp();
  const db = t.services.db();
  for (const mode of [{ artifacts: "refuse" as const }, { artifactRoot: "s3" as const }]) {
    await clearPending(db);
    const name = uniqueName("art");
    await registerModel({ db }, { name, params: { m: 1 } }, {
      run: { kind: "backtest", started_at: new Date(), ended_at: new Date(), artifact: { name: "r.md", body: "# r" } },
    });
    const fake = fakeMlflow(mode);
    try {
      assert.equal(await relay(db, fake.url), "delivered", JSON.stringify(mode));
      assert.deepEqual(fake.errors, []);
      const puts = fake.calls.filter((c) => c.method === "PUT");
      assert.equal(puts.length, mode.artifacts === "refuse" ? 1 : 0, "a PUT only where the proxy serves the run");
      assert.equal(fake.artifacts.size, 0);
      assert.equal([...fake.runs.values()][0].status, "FINISHED");
      assert.equal(fake.models.get(name)?.versions.length, 1);
      assert.equal((await pending(db)).length, 0);
    } finally {
      await fake.close();
    }
  }
});

Deno.test(
  "mlflow: closed port, then a hung server → events wait (bounded); back up → delivered in order",
  opts,
  async () => {
    const t = await testApp();
    const db = t.services.db();
    await clearPending(db);
    const name = uniqueName("outage");
    const versions = [];
    for (let i = 0; i < 3; i++) versions.push(await registerModel({ db }, { name, params: { i } }));

    // Nothing listens.
    const closedPort = freePort();
    assert.equal(await relay(db, `http://127.0.0.1:${closedPort}`), "failed");
    let waiting = await pending(db);
    assert.equal(waiting.length, 3);
    assert.equal(waiting[0].attempts, 1);
    assert.ok(waiting[0].last_error, "the failure is recorded");
    assert.equal(waiting[1].attempts, 0, "later events are not tried before the first");

    // Accepts and never answers: each call is bounded by the client's timeout.
    const hung = silentListener();
    try {
      const started = performance.now();
      assert.equal(await relay(db, `http://127.0.0.1:${hung.port}`, 300), "failed");
      assert.ok(
        performance.now() - started < 2000,
        `a hung MLflow costs one bounded call (${performance.now() - started} ms)`,
      );
    } finally {
      hung.close();
    }
    waiting = await pending(db);
    assert.equal(waiting.length, 3);
    assert.equal(waiting[0].attempts, 2);

    // The bus relay leaves them alone.
    const published: string[] = [];
    await relayOutbox(db, (events) => {
      published.push(...events.map((e) => e.topic));
      return Promise.resolve();
    });
    assert.ok(!published.includes(MLFLOW_RUNS_TOPIC), "mlflow events never go to the bus");
    assert.equal((await pending(db)).length, 3);

    const fake = await listenAgain(closedPort);
    try {
      assert.equal(await relay(db, fake.url), "delivered");
      assert.deepEqual(fake.errors, []);
      const order = [...fake.runs.values()].map((r) => r.tags.get("optibid.model_version"));
      assert.deepEqual(order, ["1", "2", "3"], "in the order they were written");
      assert.deepEqual(fake.models.get(name)!.versions.map((v) => v.version), ["1", "2", "3"]);
      assert.equal(fake.calls.filter((c) => c.path.endsWith("/runs/create")).length, 3, "no run created twice");
    } finally {
      await fake.close();
    }
  },
);

Deno.test("mlflow: an event MLflow refuses outright is set aside and does not block the next", opts, async () => {
  const t = await testApp();
  const db = t.services.db();
  await clearPending(db);
  const caller = await operatorCaller();
  const name = uniqueName("refused");
  const v1 = await registerModel({ db }, { name, params: { a: 1 } });
  await clearPending(db);
  // MLflow's copy of v1 says version 99, which the fake does not have: the alias gets RESOURCE_DOES_NOT_EXIST.
  await db.query(`INSERT INTO mlflow_model_versions (model_id, run_id, mlflow_version) VALUES ($1, 'r', '99')`, [
    v1.id,
  ]);
  await promoteModel({ db }, caller, v1.id);
  const v2 = await registerModel({ db }, { name, params: { a: 2 } });
  const fake = fakeMlflow();
  try {
    assert.equal(await relay(db, fake.url), "delivered");
    const [aside] = await db.query<{ last_error: string; sent: boolean }>(
      `SELECT last_error, sent_at IS NOT NULL AS sent FROM outbox
        WHERE topic = $1 AND key = $2 AND payload->>'type' = 'alias'`,
      [MLFLOW_RUNS_TOPIC, v1.id],
    );
    assert.equal(aside.sent, true);
    assert.match(aside.last_error, /^rejected: MLflow 404 RESOURCE_DOES_NOT_EXIST/);
    assert.equal(fake.models.get(name)?.versions.length, 1, "the registration after it went through");
    assert.equal([...fake.runs.values()][0].tags.get("optibid.model_id"), v2.id);
    assert.equal((await pending(db)).length, 0);
  } finally {
    await fake.close();
  }
});

Deno.test("mlflow: a delivery cut off half-way resumes without a second run", opts, async () => {
  const t = await testApp();
  const db = t.services.db();
  await clearPending(db);
  const name = uniqueName("resume");
  await registerModel({ db }, { name, params: { a: 1 } });
  const fake = fakeMlflow();
  // A proxy in front of the fake that fails log-batch the first time.
  let failed = false;
  const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname.endsWith("/runs/log-batch") && !failed) {
      failed = true;
      return new Response("upstream timeout", { status: 504 });
    }
    return await fetch(fake.url + url.pathname + url.search, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" ? undefined : await req.arrayBuffer(),
    });
  });
  try {
    const url = `http://127.0.0.1:${proxy.addr.port}`;
    assert.equal(await relay(db, url), "failed");
    assert.equal(await relay(db, url), "delivered");
    assert.deepEqual(fake.errors, []);
    assert.equal(fake.runs.size, 1, "the run made before the failure is reused");
    assert.equal([...fake.runs.values()][0].status, "FINISHED");
  } finally {
    await proxy.shutdown();
    await fake.close();
  }
});

Deno.test(
  "mlflow in the app: a hung MLflow delays neither start-up nor requests; events arrive once it is back",
  opts,
  async () => {
    const hung = silentListener();
    const operatorEmail = `operator-${Date.now().toString(36)}@example.com`;
    const started = performance.now();
    const t = await testApp({
      MLFLOW_TRACKING_URI: `http://127.0.0.1:${hung.port}`,
      SERVICE_TIMEOUT_MS: "500",
      OPERATOR_EMAILS: operatorEmail,
    });
    const startMs = performance.now() - started;
    const db = t.services.db();
    try {
      const org = await createOrg(t, "mlflow-app", { email: operatorEmail });
      const name = uniqueName("app");
      const model = await registerModel({ db, kick: () => t.services.models.kick() }, { name, params: { a: 1 } });
      // The relay is stuck on the hung server meanwhile; requests do not wait for it.
      const t0 = performance.now();
      const r = await call(t, "POST", `/api/models/${model.id}/promote`, {
        token: org.admin.tokens.access_token,
        ip: org.admin.ip,
      });
      const requestMs = performance.now() - t0;
      expectStatus(r, 200, "promote while MLflow hangs");
      assert.ok(requestMs < 400, `the request took ${requestMs} ms`);
      const list = await call(t, "GET", `/api/models?name=${name}`, { token: org.admin.tokens.access_token });
      expectStatus(list, 200);
      assert.equal((await pending(db)).length, 2, "registration and alias wait in the outbox");
      // Start-up did not wait for MLflow (its probe alone would take the timeout, retried with backoff).
      assert.ok(startMs < 5_000, `start-up took ${startMs} ms`);
      assert.equal(t.services.registry.states().find((s) => s.name === "mlflow")?.status === "available", false);

      // MLflow comes back on the same address: the relay's backoff finds it.
      hung.close();
      const fake = await listenAgain(hung.port);
      try {
        const deadline = Date.now() + 30_000;
        while ((await pending(db)).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        assert.equal((await pending(db)).length, 0, "delivered after the outage");
        assert.deepEqual(fake.errors, []);
        assert.equal(fake.aliases.get(`${name}@production`), "1");
        const kinds = fake.calls.filter((c) => c.method === "POST").map((c) => c.path.split("/").slice(-2).join("/"));
        assert.ok(kinds.indexOf("model-versions/create") < kinds.indexOf("registered-models/alias"), "in order");
      } finally {
        await t.services.models.stop();
        await fake.close();
      }
    } finally {
      try {
        hung.close();
      } catch { /* closed when MLflow came back */ }
    }
  },
);
