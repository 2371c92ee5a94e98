/**
 * The model registry over HTTP and on the /models page: who may read, promote and roll back (the
 * platform operator among admins), one production version per name, 404/400/409, audit entries in the
 * actor's organization, and what each role sees on the page.
 */
import assert from "node:assert/strict";
import { MLFLOW_RUNS_TOPIC } from "../../services/bids/outbox.ts";
import { registerModel } from "../../services/models/actions.ts";
import { setLogSink } from "../../services/log/logger.ts";
import {
  auditLog,
  call,
  createOrg,
  expectError,
  expectStatus,
  type Member,
  opts,
  orgWithAllRoles,
} from "../helpers/auth.ts";
import { type TestApp, testApp } from "../helpers/test_app.ts";

setLogSink(() => {});

const OPERATOR = `operator-${Date.now().toString(36)}@example.com`;
const ENV = { OPERATOR_EMAILS: OPERATOR };

let n = 0;
const uniqueName = (tag: string) => `${tag}-${Date.now().toString(36)}-${n++}`;

let shared: ReturnType<typeof makeSetup> | undefined;
/** One operator and one organization with every role, shared by the tests (they keep apart by model name). */
const setup = () => (shared ??= makeSetup());

async function makeSetup() {
  const t = await testApp(ENV);
  // The operator is an admin of an organization of their own; another organization has every role.
  const operatorOrg = await createOrg(t, "op", { email: OPERATOR });
  const { org, members } = await orgWithAllRoles(t, "models");
  return { t, operator: operatorOrg.admin, otherOrg: org, members };
}

const as = (t: TestApp, m: Member, method: string, path: string, body?: unknown) =>
  call(t, method, path, { token: m.tokens.access_token, ip: m.ip, body });

async function versions(t: TestApp, name: string, count: number) {
  const out = [];
  for (let i = 0; i < count; i++) {
    out.push(
      await registerModel({ db: t.services.db() }, {
        name,
        params: { model: "LEAR", windows: [56, 84, 1092, 1456], i },
        training_window: { days: 1456 },
        metrics: { MAE: 3 - i / 10, rMAE: 0.45, sMAPE: 12.5, coverage: 0.81 },
      }),
    );
  }
  return out;
}

Deno.test("models: versions number per name, even when registered at once", opts, async () => {
  const t = await testApp(ENV);
  const name = uniqueName("num");
  const made = await Promise.all(
    Array.from({ length: 5 }, (_, i) => registerModel({ db: t.services.db() }, { name, params: { i } })),
  );
  assert.deepEqual(made.map((m) => m.version).sort(), [1, 2, 3, 4, 5]);
  assert.ok(made.every((m) => m.stage === "staging"));
  const other = await registerModel({ db: t.services.db() }, { name: uniqueName("other"), params: {} });
  assert.equal(other.version, 1, "numbering is per name");
  const events = await t.services.db().query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox WHERE topic = $1 AND key = ANY($2::text[])`,
    [MLFLOW_RUNS_TOPIC, made.map((m) => m.id)],
  );
  assert.equal(events[0].n, 5, "each registration enqueues its MLflow run in its transaction");
  await assert.rejects(
    registerModel({ db: t.services.db() }, { name: "bad name!", params: {} }),
    (e: Error) => e.name === "DomainError",
  );
});

Deno.test("models API: list (paginated), get, 404, 400; readers are analyst, trader, admin", opts, async () => {
  const { t, members } = await setup();
  const name = uniqueName("list");
  const made = await versions(t, name, 3);
  for (const role of ["analyst", "trader", "admin"] as const) {
    const r = await as(t, members[role], "GET", `/api/models?name=${name}&limit=2`);
    expectStatus(r, 200, role);
    assert.deepEqual(r.body.items.map((m: { version: number }) => m.version), [3, 2]);
    assert.ok(r.body.next_cursor);
    const next = await as(t, members[role], "GET", `/api/models?name=${name}&limit=2&cursor=${r.body.next_cursor}`);
    expectStatus(next, 200);
    assert.deepEqual(next.body.items.map((m: { version: number }) => m.version), [1]);
    assert.equal(next.body.next_cursor, null);
  }
  expectError(await as(t, members.viewer, "GET", `/api/models`), 403, "forbidden", "viewer");
  const one = await as(t, members.analyst, "GET", `/api/models/${made[0].id}`);
  expectStatus(one, 200);
  assert.equal(one.body.name, name);
  assert.deepEqual(one.body.params.windows, [56, 84, 1092, 1456]);
  assert.equal(one.body.metrics.MAE, 3);
  expectError(await as(t, members.analyst, "GET", `/api/models/${crypto.randomUUID()}`), 404, "model_not_found");
  expectError(await as(t, members.analyst, "GET", `/api/models/not-a-uuid`), 400, "validation_failed");
  expectError(await as(t, members.analyst, "GET", `/api/models?cursor=garbage`), 400, "invalid_cursor");
});

Deno.test("models API: promote and rollback — operator only, one production per name, audited", opts, async () => {
  const { t, operator, otherOrg, members } = await setup();
  const name = uniqueName("promo");
  const [v1, v2, v3] = await versions(t, name, 3);

  // Roles without models:promote, then an admin who is not the operator.
  for (const role of ["analyst", "trader", "viewer"] as const) {
    expectError(await as(t, members[role], "POST", `/api/models/${v1.id}/promote`), 403, "forbidden", role);
  }
  const refused = await as(t, members.admin, "POST", `/api/models/${v1.id}/promote`);
  expectError(refused, 403, "forbidden", "admin, not the operator");
  assert.match(refused.body.error.message, /platform operator/);
  expectError(await as(t, members.admin, "POST", `/api/models/rollback`, { name }), 403, "forbidden");
  expectError(
    await as(t, operator, "POST", `/api/models/${crypto.randomUUID()}/promote`),
    404,
    "model_not_found",
  );

  const stages = async () => {
    const r = await as(t, operator, "GET", `/api/models?name=${name}`);
    return Object.fromEntries(r.body.items.map((m: { version: number; stage: string }) => [m.version, m.stage]));
  };

  expectError(await as(t, operator, "POST", `/api/models/rollback`, { name }), 409, "no_previous_version");
  let r = await as(t, operator, "POST", `/api/models/${v1.id}/promote`);
  expectStatus(r, 200);
  assert.equal(r.body.changed, true);
  assert.equal(r.body.model.stage, "production");
  assert.equal(r.body.previous, null);
  r = await as(t, operator, "POST", `/api/models/${v1.id}/promote`);
  expectStatus(r, 200);
  assert.equal(r.body.changed, false, "promoting the production version again changes nothing");

  r = await as(t, operator, "POST", `/api/models/${v3.id}/promote`);
  expectStatus(r, 200);
  assert.equal(r.body.previous.id, v1.id);
  assert.equal(r.body.previous.stage, "archived");
  assert.deepEqual(await stages(), { 1: "archived", 2: "staging", 3: "production" });

  r = await as(t, operator, "POST", `/api/models/${v2.id}/promote`);
  expectStatus(r, 200);
  assert.deepEqual(await stages(), { 1: "archived", 2: "production", 3: "archived" });

  // Rollback: the version that was production last comes back; twice is an undo of the first.
  r = await as(t, operator, "POST", `/api/models/rollback`, { name });
  expectStatus(r, 200);
  assert.equal(r.body.model.version, 3);
  assert.equal(r.body.previous.version, 2);
  assert.deepEqual(await stages(), { 1: "archived", 2: "archived", 3: "production" });
  r = await as(t, operator, "POST", `/api/models/rollback`, { name });
  expectStatus(r, 200);
  assert.equal(r.body.model.version, 2);

  const [{ production }] = await t.services.db().query<{ production: number }>(
    `SELECT count(*)::int AS production FROM models WHERE name = $1 AND stage = 'production'`,
    [name],
  );
  assert.equal(production, 1);

  // Bad bodies and names.
  expectError(await as(t, operator, "POST", `/api/models/rollback`, { name, extra: 1 }), 400, "validation_failed");
  expectError(await as(t, operator, "POST", `/api/models/rollback`, {}), 400, "validation_failed");
  expectError(
    await as(t, operator, "POST", `/api/models/rollback`, { name: "no such model" }),
    400,
    "validation_failed",
  );
  expectError(
    await as(t, operator, "POST", `/api/models/rollback`, { name: uniqueName("none") }),
    404,
    "model_not_found",
  );

  // Audited in the operator's organization, not in the other one; one entry per change, none for the no-op.
  const log = await auditLog(t, operator, "action=model.*");
  expectStatus(log, 200);
  const mine = log.body.items.filter((e: { details: { name: string } }) => e.details.name === name);
  assert.deepEqual(
    mine.map((e: { action: string; details: { version: number } }) => `${e.action} v${e.details.version}`).reverse(),
    [
      "model.promoted v1",
      "model.promoted v3",
      "model.promoted v2",
      "model.rolled_back v3",
      "model.rolled_back v2",
    ],
  );
  assert.ok(mine.every((e: { actor_user_id: string }) => e.actor_user_id === operator.userId));
  const theirs = await auditLog(t, otherOrg.admin, "action=model.*");
  assert.equal(theirs.body.items.length, 0);

  // Each change enqueued the production alias for MLflow.
  const aliases = await t.services.db().query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox WHERE topic = $1 AND payload->>'type' = 'alias' AND payload->>'model_name' = $2`,
    [MLFLOW_RUNS_TOPIC, name],
  );
  assert.equal(aliases[0].n, 5);
});

Deno.test("models API: an operator's API key may not promote (a key acts for its organization)", opts, async () => {
  const { t, operator } = await setup();
  const [v1] = await versions(t, uniqueName("key"), 1);
  const key = await as(t, operator, "POST", "/api/api-keys", { name: "ops key", role: "admin" });
  expectStatus(key, 201);
  const r = await call(t, "POST", `/api/models/${v1.id}/promote`, { token: key.body.key });
  expectError(r, 403, "forbidden");
});

async function page(t: TestApp, m: Member, method = "GET", form?: Record<string, string>, path = "/models") {
  const res = await t.fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${m.tokens.access_token}`,
      accept: "text/html",
      ...(form ? { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost" } : {}),
    },
    body: form ? new URLSearchParams(form).toString() : undefined,
    ip: m.ip,
  });
  return { status: res.status, html: await res.text(), location: res.headers.get("location") ?? "" };
}

Deno.test("/models page: list and metrics for readers; buttons only for the operator; form promote", opts, async () => {
  const { t, operator, members } = await setup();
  const name = uniqueName("page");
  const [v1, v2] = await versions(t, name, 2);

  for (const role of ["analyst", "trader", "admin"] as const) {
    const p = await page(t, members[role]);
    assert.equal(p.status, 200, role);
    assert.ok(p.html.includes(`data-model="${name}@1"`) && p.html.includes(`data-model="${name}@2"`), role);
    assert.ok(p.html.includes("0.450"), `${role} sees rMAE`);
    assert.ok(p.html.includes("81.0%"), `${role} sees coverage`);
    assert.ok(p.html.includes("windows=[56,84,1092,1456]"), `${role} sees params`);
    assert.ok(!p.html.includes('value="promote"'), `${role} has no promote button`);
  }
  assert.match((await page(t, members.admin)).html, /only the platform operator/);
  assert.equal((await page(t, members.viewer)).status, 403);

  let p = await page(t, operator);
  assert.ok(p.html.includes('value="promote"'), "the operator sees promote");
  p = await page(t, members.admin, "POST", { _action: "promote", id: v1.id });
  assert.equal(p.status, 403, "a form post by a non-operator admin is refused too");
  // Each success redirects (a reload must not promote again); the page it names says what happened.
  p = await page(t, operator, "POST", { _action: "promote", id: v1.id });
  assert.equal(p.status, 303);
  p = await page(t, operator, "GET", undefined, p.location);
  assert.match(p.html, new RegExp(`${name} v1 is now in production`));
  p = await page(t, operator, "POST", { _action: "promote", id: v2.id });
  assert.equal(p.status, 303);
  p = await page(t, operator, "GET", undefined, p.location);
  assert.match(p.html, /v1 archived/);
  assert.ok(p.html.includes(`Roll back ${name}`), "rollback offered once there is an archived version");
  p = await page(t, operator, "POST", { _action: "rollback", name });
  assert.equal(p.status, 303);
  p = await page(t, operator, "GET", undefined, p.location);
  assert.match(p.html, new RegExp(`Rolled back: ${name} v1 is in production again`));
  // A crafted outcome that is not a model name and versions says nothing.
  p = await page(t, operator, "GET", undefined, "/models?done=promote&model=%3Cb%3Ex&v=abc");
  assert.doesNotMatch(p.html, /is now in production/);
  p = await page(t, operator, "POST", { _action: "promote", id: "nope" });
  assert.equal(p.status, 400);
});
