/**
 * The admin console's API: the platform admin (PLATFORM_ADMINS) against an organization's admin on every
 * admin route, suspension ending sessions and keys at once, feature flags gating real features (404),
 * quotas (429 naming the quota, per organization), usage and billing, and /metrics parsed as
 * Prometheus' text format.
 */
import assert from "node:assert/strict";
import manifest from "../../fresh.gen.ts";
import type { Manifest } from "../../framework/types.ts";
import {
  addMember,
  call,
  createOrg,
  expectError,
  expectStatus,
  meStatus,
  opts,
  quotaBody,
  refresh,
} from "../helpers/auth.ts";
import { testApp, uniqueEmail } from "../helpers/test_app.ts";
import { parsePrometheus } from "../helpers/prometheus.ts";
import { battery, deliveryHour, siteWithAsset } from "../helpers/bids.ts";

const OPERATOR = uniqueEmail("platform-admin");
const LEGACY_OPERATOR = uniqueEmail("legacy-operator");
const METRICS_TOKEN = "metrics-token-for-tests-0123456789";
const t = await testApp({ PLATFORM_ADMINS: OPERATOR, OPERATOR_EMAILS: LEGACY_OPERATOR, METRICS_TOKEN });
const operator = await createOrg(t, "platform", { email: OPERATOR });
const opToken = () => operator.admin.tokens.access_token;

Deno.test("admin: the platform admin and an organization's admin on every admin route", opts, async () => {
  const org = await createOrg(t, "tenant");
  const other = await createOrg(t, "neighbour");
  const trader = await addMember(t, org, "trader");
  const admin = org.admin.tokens.access_token;
  const id = other.id;
  // Every /api/admin route file is in this table: a new one cannot skip the check.
  const cases: { route: string; method: string; path: string; body?: unknown; op: number; admin: number }[] = [
    { route: "api/admin/organizations/index.ts", method: "GET", path: "/api/admin/organizations", op: 200, admin: 403 },
    {
      route: "api/admin/organizations/[id].ts",
      method: "GET",
      path: `/api/admin/organizations/${id}`,
      op: 200,
      admin: 403,
    },
    {
      route: "api/admin/organizations/[id]/quotas.ts",
      method: "PUT",
      path: `/api/admin/organizations/${id}/quotas`,
      body: quotaBody(),
      op: 200,
      admin: 403,
    },
    {
      route: "api/admin/organizations/[id]/suspend.ts",
      method: "POST",
      path: `/api/admin/organizations/${id}/suspend`,
      op: 200,
      admin: 403,
    },
    {
      route: "api/admin/organizations/[id]/reactivate.ts",
      method: "POST",
      path: `/api/admin/organizations/${id}/reactivate`,
      op: 200,
      admin: 403,
    },
    { route: "api/admin/flags/index.ts", method: "GET", path: "/api/admin/flags", op: 200, admin: 200 },
    {
      route: "api/admin/flags/[key].ts",
      method: "PUT",
      path: "/api/admin/flags/test_probe",
      body: { enabled: true },
      op: 204,
      admin: 403,
    },
    {
      route: "api/admin/flags/[key]/overrides/[org_id].ts",
      method: "PUT",
      path: `/api/admin/flags/test_probe/overrides/${id}`,
      body: { enabled: null },
      op: 204,
      admin: 403,
    },
    { route: "api/admin/usage/index.ts", method: "GET", path: "/api/admin/usage", op: 200, admin: 200 },
    { route: "api/admin/usage/export.csv.ts", method: "GET", path: "/api/admin/usage/export.csv", op: 200, admin: 200 },
    { route: "api/admin/billing.ts", method: "GET", path: "/api/admin/billing", op: 200, admin: 200 },
    { route: "api/admin/system.ts", method: "GET", path: "/api/admin/system", op: 200, admin: 403 },
    { route: "api/admin/audit-logs.ts", method: "GET", path: "/api/admin/audit-logs", op: 200, admin: 200 },
    { route: "api/admin/queue/redrive.ts", method: "POST", path: "/api/admin/queue/redrive", op: 200, admin: 403 },
  ];
  const onDisk = Object.keys((manifest as Manifest).routes).filter((k) => k.startsWith("./routes/api/admin/"))
    .map((k) => k.slice("./routes/".length));
  assert.deepEqual(onDisk.sort(), cases.map((c) => c.route).sort(), "every admin route is covered");
  for (const c of cases) {
    const asAdmin = await call(t, c.method, c.path, { token: admin, body: c.body });
    expectStatus(asAdmin, c.admin, `org admin ${c.method} ${c.path}`);
    const asOp = await call(t, c.method, c.path, { token: opToken(), body: c.body });
    expectStatus(asOp, c.op, `platform admin ${c.method} ${c.path}`);
    const asTrader = await call(t, c.method, c.path, { token: trader.tokens.access_token, body: c.body });
    expectStatus(asTrader, 403, `trader ${c.method} ${c.path}`);
    const anonymous = await call(t, c.method, c.path, { body: c.body });
    expectStatus(anonymous, 401, `anonymous ${c.method} ${c.path}`);
  }
  // An organization's admin reads only their own organization's figures: another's is 404.
  for (
    const path of [`/api/admin/usage?org_id=${id}`, `/api/admin/billing?org_id=${id}`, `/api/admin/flags?org_id=${id}`]
  ) {
    expectError(await call(t, "GET", path, { token: admin }), 404, "not_found", path);
    expectStatus(await call(t, "GET", path, { token: opToken() }), 200, path);
  }
  // An API key acts for its organization, never as the platform admin who made it.
  const key = await call(t, "POST", "/api/api-keys", { token: opToken(), body: { name: "ops script" } });
  expectStatus(key, 201);
  expectStatus(await call(t, "GET", "/api/admin/organizations", { token: key.body.key }), 403, "operator's key");
  // The older name still makes a platform admin.
  const legacy = await createOrg(t, "legacy", { email: LEGACY_OPERATOR });
  expectStatus(await call(t, "GET", "/api/admin/organizations", { token: legacy.admin.tokens.access_token }), 200);
});

Deno.test("admin: the operator sees every organization with members, status and usage", opts, async () => {
  const org = await createOrg(t, "listed");
  await addMember(t, org, "viewer");
  let found: Record<string, unknown> | undefined;
  let cursor: string | null = null;
  do {
    const page = await call(t, "GET", `/api/admin/organizations?limit=5${cursor ? `&cursor=${cursor}` : ""}`, {
      token: opToken(),
    });
    expectStatus(page, 200);
    found ??= page.body.items.find((o: { id: string }) => o.id === org.id);
    cursor = page.body.next_cursor;
  } while (cursor && !found);
  assert.ok(found, "the new organization is listed");
  assert.equal(found.members, 2);
  assert.equal(found.status, "active");
  const byName = await call(t, "GET", `/api/admin/organizations?q=${encodeURIComponent(org.name)}`, {
    token: opToken(),
  });
  assert.deepEqual(byName.body.items.map((o: { id: string }) => o.id), [org.id]);
  const detail = await call(t, "GET", `/api/admin/organizations/${org.id}`, { token: opToken() });
  expectStatus(detail, 200);
  assert.equal(detail.body.members.length, 2);
  assert.equal(detail.body.usage.length, 30);
  assert.ok(detail.body.flags.some((f: { key: string }) => f.key === "forecasts"));
  expectError(
    await call(t, "GET", `/api/admin/organizations/${crypto.randomUUID()}`, { token: opToken() }),
    404,
    "not_found",
  );
  expectError(
    await call(t, "GET", `/api/admin/organizations?cursor=garbage`, { token: opToken() }),
    400,
    "invalid_cursor",
  );
});

Deno.test(
  "admin: suspension ends sessions and API keys at once; reactivation lets keys and sign-ins back",
  opts,
  async () => {
    const org = await createOrg(t, "suspended");
    const member = await addMember(t, org, "trader");
    const key = await call(t, "POST", "/api/api-keys", { token: org.admin.tokens.access_token, body: { name: "bot" } });
    expectStatus(key, 201);
    // Both credentials have been used, so the principal cache holds them.
    expectStatus(await meStatus(t, member.tokens.access_token), 200);
    expectStatus(await meStatus(t, key.body.key), 200);

    const r = await call(t, "POST", `/api/admin/organizations/${org.id}/suspend`, {
      token: opToken(),
      body: { reason: "unpaid invoice" },
    });
    expectStatus(r, 200);
    assert.ok(r.body.sessions_ended >= 2);
    // At once: the very next request, with credentials that were cached a moment ago.
    expectStatus(await meStatus(t, member.tokens.access_token), 401, "session after suspension");
    expectStatus(await meStatus(t, key.body.key), 401, "API key after suspension");
    expectStatus(await refresh(t, member.tokens.refresh_token), 401, "refresh after suspension");
    const login = await call(t, "POST", "/api/auth/login", {
      body: { email: member.email, password: member.password },
    });
    expectError(login, 403, "organization_suspended");
    // Another organization is untouched.
    expectStatus(await meStatus(t, opToken()), 200);
    // The suspension is in the organization's own audit log, seen by the platform admin.
    const detail = await call(t, "GET", `/api/admin/organizations/${org.id}`, { token: opToken() });
    assert.equal(detail.body.organization.status, "suspended");
    assert.equal(detail.body.organization.suspended_reason, "unpaid invoice");
    const [row] = await t.services.db().query<{ actor_user_id: string; details: Record<string, unknown> }>(
      `SELECT actor_user_id, details FROM audit_logs WHERE org_id = $1 AND action = 'platform.org_suspended'`,
      [org.id],
    );
    assert.equal(row.actor_user_id, operator.admin.userId);

    expectStatus(await call(t, "POST", `/api/admin/organizations/${org.id}/reactivate`, { token: opToken() }), 200);
    expectStatus(await meStatus(t, key.body.key), 200, "API key after reactivation");
    expectStatus(await meStatus(t, member.tokens.access_token), 401, "the ended session stays ended");
    const again = await call(t, "POST", "/api/auth/login", {
      body: { email: member.email, password: member.password },
    });
    expectStatus(again, 200);
    // Data stayed: the API key is the same one.
    const keys = await call(t, "GET", "/api/api-keys", { token: again.body.access_token });
    expectStatus(keys, 200);
    expectError(
      await call(t, "POST", `/api/admin/organizations/${crypto.randomUUID()}/suspend`, { token: opToken() }),
      404,
      "not_found",
    );
    expectError(
      await call(t, "POST", `/api/admin/organizations/${org.id}/suspend`, {
        token: opToken(),
        body: { reason: "x", extra: 1 },
      }),
      400,
      "validation_failed",
    );
  },
);

Deno.test(
  "admin: a feature switched off is 404 on its API and pages; overrides and rollout decide per organization",
  opts,
  async () => {
    const org = await createOrg(t, "flags");
    const analyst = await addMember(t, org, "analyst");
    const token = analyst.tokens.access_token;
    const forecasts = `/api/forecasts?zone=PJM&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`;
    expectStatus(await call(t, "GET", forecasts, { token }), 200, "on by default");
    expectStatus(await call(t, "GET", "/api/models", { token }), 200);

    const off = await call(t, "PUT", `/api/admin/flags/forecasts/overrides/${org.id}`, {
      token: opToken(),
      body: { enabled: false },
    });
    expectStatus(off, 204);
    expectError(await call(t, "GET", forecasts, { token }), 404, "feature_disabled");
    expectError(await call(t, "GET", "/api/models", { token }), 404, "feature_disabled");
    expectError(await call(t, "GET", "/api/forecasts/accuracy?zone=PJM", { token }), 404, "feature_disabled");
    const page = await t.fetch("/models", { headers: { authorization: `Bearer ${token}`, accept: "text/html" } });
    assert.equal(page.status, 404, "the page does not exist for the organization");
    await page.body?.cancel();
    // Someone else's organization still has it.
    expectStatus(await call(t, "GET", forecasts, { token: opToken() }), 200);
    const flags = await call(t, "GET", "/api/admin/flags", { token: org.admin.tokens.access_token });
    const f = flags.body.items.find((x: { key: string }) => x.key === "forecasts");
    assert.deepEqual([f.enabled, f.source, "default" in f], [false, "override", false]);

    // Removing the override: the default applies again.
    await call(t, "PUT", `/api/admin/flags/forecasts/overrides/${org.id}`, {
      token: opToken(),
      body: { enabled: null },
    });
    expectStatus(await call(t, "GET", forecasts, { token }), 200);

    // A rollout: an organization's answer follows its bucket, the same on every read.
    const key = `probe_${crypto.randomUUID().slice(0, 8)}`;
    expectStatus(
      await call(t, "PUT", `/api/admin/flags/${key}`, {
        token: opToken(),
        body: { enabled: false, rollout_percent: 50 },
      }),
      204,
    );
    const orgs = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => createOrg(t, `rollout${i}`)));
    const seen = async () =>
      await Promise.all(orgs.map(async (o) => {
        const r = await call(t, "GET", `/api/admin/flags?org_id=${o.id}`, { token: opToken() });
        return r.body.items.find((x: { key: string }) => x.key === key) as { enabled: boolean; source: string };
      }));
    const first = await seen();
    assert.ok(first.every((x) => x.source === "rollout"));
    assert.deepEqual((await seen()).map((x) => x.enabled), first.map((x) => x.enabled), "stable per organization");
    // 100 %: everyone; 0 %: no one.
    await call(t, "PUT", `/api/admin/flags/${key}`, {
      token: opToken(),
      body: { enabled: false, rollout_percent: 100 },
    });
    assert.ok((await seen()).every((x) => x.enabled));
    await call(t, "PUT", `/api/admin/flags/${key}`, { token: opToken(), body: { enabled: true, rollout_percent: 0 } });
    assert.ok((await seen()).every((x) => !x.enabled));
    // Audited: the flag change has no organization, the override is in the organization's log.
    const [n] = await t.services.db().query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_logs WHERE action = 'platform.flag_override' AND org_id = $1`,
      [org.id],
    );
    assert.equal(n.n, 2);
    expectError(
      await call(t, "PUT", `/api/admin/flags/${key}/overrides/${crypto.randomUUID()}`, {
        token: opToken(),
        body: { enabled: true },
      }),
      404,
      "not_found",
    );
    expectError(
      await call(t, "PUT", `/api/admin/flags/Bad-Key`, { token: opToken(), body: { enabled: true } }),
      400,
      "validation_failed",
    );
  },
);

Deno.test("admin: quotas answer 429 with Retry-After naming the quota, per organization", opts, async () => {
  const org = await createOrg(t, "quota");
  const other = await createOrg(t, "unlimited");
  const token = org.admin.tokens.access_token;
  const quotas = {
    api_requests_per_minute: null as number | null,
    api_requests_per_day: null,
    bids_per_day: 1,
    assets: 1,
    api_keys: 1,
    ws_connections: null,
  };
  const set = await call(t, "PUT", `/api/admin/organizations/${org.id}/quotas`, { token: opToken(), body: quotas });
  expectStatus(set, 200);
  assert.equal(set.body.effective.assets, 1);
  assert.ok(set.body.effective.api_requests_per_minute > 1000, "null: the platform default");

  // Assets and keys: counted in the database.
  const { assetId } = await siteWithAsset(t, token, battery("Quota battery"));
  const site = await call(t, "GET", "/api/sites", { token });
  const second = await call(t, "POST", "/api/assets", {
    token,
    body: { site_id: site.body.items[0].id, ...battery("Second battery") },
  });
  expectError(second, 429, "quota_exceeded");
  assert.equal(second.body.error.details.quota, "assets");
  expectStatus(await call(t, "POST", "/api/api-keys", { token, body: { name: "one" } }), 201);
  const key2 = await call(t, "POST", "/api/api-keys", { token, body: { name: "two" } });
  expectError(key2, 429, "quota_exceeded");
  assert.equal(key2.body.error.details.quota, "api_keys");

  // Bids per day: the second bid of the day is refused.
  const bid = {
    asset_id: assetId,
    market: "DA",
    interval_start: deliveryHour(),
    side: "offer",
    segments: [{ quantity: 5, price: 30 }],
  };
  expectStatus(await call(t, "POST", "/api/bids", { token, body: bid }), 201);
  const bid2 = await call(t, "POST", "/api/bids", { token, body: { ...bid, interval_start: deliveryHour(1) } });
  expectError(bid2, 429, "quota_exceeded");
  assert.equal(bid2.body.error.details.quota, "bids_per_day");
  assert.ok(Number(bid2.headers.get("retry-after")) >= 1);

  // API requests per minute: 5 more than the minute has seen so far.
  const seen = (await call(t, "GET", `/api/admin/usage?org_id=${org.id}`, { token: opToken() })).body.days.at(-1);
  await call(t, "PUT", `/api/admin/organizations/${org.id}/quotas`, {
    token: opToken(),
    body: { ...quotas, api_requests_per_minute: seen.api_requests + 5 },
  });
  let refused: Awaited<ReturnType<typeof call>> | undefined;
  for (let i = 0; i < 80 && !refused; i++) {
    // Spelled as Hono still routes to the API (`%61` is "a"): counted all the same.
    const r = await call(t, "GET", "/%61pi/auth/me", { token });
    if (r.status === 429) refused = r;
    else expectStatus(r, 200);
  }
  assert.ok(refused, "refused within the minute's quota");
  assert.equal(refused.body.error.code, "quota_exceeded");
  assert.equal(refused.body.error.details.quota, "api_requests_per_minute");
  assert.match(refused.body.error.message, /API requests per minute/);
  const retry = Number(refused.headers.get("retry-after"));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  // Counters are per organization: the other one is not affected.
  expectStatus(await call(t, "GET", "/api/auth/me", { token: other.admin.tokens.access_token }), 200);
  // The refusals are counted in the usage and in /metrics.
  const usage = await call(t, "GET", `/api/admin/usage?org_id=${org.id}`, { token: opToken() });
  const today = usage.body.days.at(-1);
  assert.ok(today.rejected >= 1 && today.api_requests >= 5 && today.bids === 1, JSON.stringify(today));
  // Back to the defaults: the organization may call again.
  await call(t, "PUT", `/api/admin/organizations/${org.id}/quotas`, {
    token: opToken(),
    body: { ...quotas, api_requests_per_minute: null, bids_per_day: null, assets: null, api_keys: null },
  });
  expectStatus(await call(t, "GET", "/api/auth/me", { token }), 200);
  expectError(
    await call(t, "PUT", `/api/admin/organizations/${org.id}/quotas`, {
      token: opToken(),
      body: { ...quotas, assets: 0 },
    }),
    400,
    "validation_failed",
  );
});

Deno.test("admin: usage per day as JSON and CSV, and the month's billing overview", opts, async () => {
  const org = await createOrg(t, "usage");
  const token = org.admin.tokens.access_token;
  for (let i = 0; i < 3; i++) expectStatus(await call(t, "GET", "/api/auth/me", { token }), 200);
  const usage = await call(t, "GET", "/api/admin/usage", { token });
  expectStatus(usage, 200);
  assert.equal(usage.body.days.length, 30);
  assert.ok(usage.body.days.at(-1).api_requests >= 3);
  const csv = await call(t, "GET", "/api/admin/usage/export.csv?from=2026-01-01&to=2026-01-03", { token });
  expectStatus(csv, 200);
  assert.match(csv.headers.get("content-type") ?? "", /text\/csv/);
  assert.deepEqual(csv.text.trim().split("\n"), [
    "day,api_requests,bids,ws_connections,rejected",
    "2026-01-01,0,0,0,0",
    "2026-01-02,0,0,0,0",
    "2026-01-03,0,0,0,0",
  ]);
  expectError(
    await call(t, "GET", "/api/admin/usage?from=2026-02-01&to=2026-01-01", { token }),
    400,
    "validation_failed",
  );
  expectError(
    await call(t, "GET", "/api/admin/usage?from=2020-01-01&to=2026-01-01", { token }),
    400,
    "validation_failed",
  );
  expectError(await call(t, "GET", "/api/admin/usage?from=2026-02-30", { token }), 400, "validation_failed");
  const bill = await call(t, "GET", "/api/admin/billing", { token });
  expectStatus(bill, 200);
  assert.ok(bill.body.api_requests >= 3);
  assert.deepEqual(bill.body.holdings, { assets: 0, api_keys: 0, members: 1 });
  assert.equal(bill.body.month, new Date().toISOString().slice(0, 7));
  const feb = await call(t, "GET", "/api/admin/billing?month=2028-02", { token });
  assert.deepEqual([feb.body.from, feb.body.to, feb.body.api_requests, feb.body.peak_day], [
    "2028-02-01",
    "2028-02-29",
    0,
    null,
  ]);
  expectError(await call(t, "GET", "/api/admin/billing?month=2026-13", { token }), 400, "validation_failed");
  expectError(await call(t, "GET", "/api/admin/billing?month=0000-01", { token }), 400, "validation_failed");
  expectError(
    await call(t, "GET", "/api/admin/usage?from=0000-01-01&to=0000-01-02", { token }),
    400,
    "validation_failed",
  );
});

Deno.test("admin: GET /metrics in Prometheus' text format, for the token or a platform admin", opts, async () => {
  await call(t, "GET", "/api/auth/me", { token: opToken() });
  await call(t, "GET", `/api/admin/organizations/${crypto.randomUUID()}`, { token: opToken() });
  const anonymous = await t.fetch("/metrics");
  assert.equal(anonymous.status, 401);
  await anonymous.body?.cancel();
  const wrong = await t.fetch("/metrics", { headers: { authorization: "Bearer not-the-token-at-all-00000" } });
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();
  const orgAdmin = await createOrg(t, "no-metrics");
  const asAdmin = await t.fetch("/metrics", {
    headers: { authorization: `Bearer ${orgAdmin.admin.tokens.access_token}` },
  });
  assert.equal(asAdmin.status, 401, "an organization's admin is not the platform's");
  await asAdmin.body?.cancel();

  for (const auth of [METRICS_TOKEN, opToken()]) {
    const res = await t.fetch("/metrics", { headers: { authorization: `Bearer ${auth}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const families = parsePrometheus(await res.text());
    const requests = families.get("http_requests_total");
    assert.equal(requests?.type, "counter");
    // Routes by pattern, never by raw path.
    const byRoute = requests!.samples.filter((s) => s.labels.route === "/api/admin/organizations/:id");
    assert.ok(byRoute.some((s) => s.labels.status === "404" && s.value >= 1), JSON.stringify(byRoute));
    assert.ok(!requests!.samples.some((s) => /[0-9a-f]{8}-[0-9a-f]{4}/.test(s.labels.route)));
    const latency = families.get("http_request_duration_seconds");
    assert.equal(latency?.type, "histogram");
    const inf = latency!.samples.find((s) =>
      s.name.endsWith("_bucket") && s.labels.le === "+Inf" && s.labels.route === "/api/auth/me"
    );
    assert.ok(inf && inf.value >= 1);
    for (
      const name of [
        "ws_connections",
        "ws_frames_sent",
        "ingest_ticks_total",
        "outbox_backlog",
        "outbox_oldest_age_seconds",
        "db_queries_in_flight",
        "forecast_runs_total",
        "strategy_runs_total",
        "quota_rejections_total",
      ]
    ) {
      assert.ok(families.has(name), `${name} is exposed`);
    }
    assert.ok(families.get("outbox_backlog")!.samples[0].value >= 0);
  }
  const summary = await call(t, "GET", "/api/admin/system", { token: opToken() });
  expectStatus(summary, 200);
  assert.ok(summary.body.requests >= 2);
  assert.ok(summary.body.latency_p95_ms !== null && summary.body.latency_p95_ms >= 0);
});

Deno.test(
  "admin: the WebSocket quota refuses a connection too many; a suspension closes the open ones",
  opts,
  async () => {
    const { WsProbe, rawHandshake, serve } = await import("../helpers/ws.ts");
    const srv = serve(t.app);
    try {
      const org = await createOrg(t, "sockets");
      const token = org.admin.tokens.access_token;
      await call(t, "PUT", `/api/admin/organizations/${org.id}/quotas`, {
        token: opToken(),
        body: quotaBody({ ws_connections: 1 }),
      });
      const first = await WsProbe.open(`${srv.ws}/api/ws/prices`, { authorization: `Bearer ${token}` });
      await first.next("welcome");
      const second = await rawHandshake(srv.port, "/api/ws/prices", { Authorization: `Bearer ${token}` });
      second.conn.close();
      assert.equal(second.status, 429, "the second connection is over the quota");
      // Another organization may still connect.
      const other = await WsProbe.open(`${srv.ws}/api/ws/prices`, { authorization: `Bearer ${opToken()}` });
      await other.next("welcome");

      await call(t, "POST", `/api/admin/organizations/${org.id}/suspend`, { token: opToken() });
      const closed = await first.closed;
      assert.equal(closed.code, 4403, "the suspended organization's socket is closed");
      assert.equal(other.ws.readyState, WebSocket.OPEN, "another organization's socket stays open");
      await other.close();
    } finally {
      await srv.server.shutdown();
    }
  },
);
