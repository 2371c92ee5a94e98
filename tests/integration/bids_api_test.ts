/** The bid API: validation naming fields, lifecycle with history, 409 on conflicts, idempotent retries, batches. */
import assert from "node:assert/strict";
import { deliveryHour, pjmSite } from "../helpers/bids.ts";
import { GOOD_PASSWORD, json, testApp, uniqueEmail, uniqueIp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

async function trader(tag: string) {
  const t = await testApp();
  const r = await t.fetch("/api/auth/register", {
    ...json({ email: uniqueEmail(tag), password: GOOD_PASSWORD, name: "T", organization_name: `${tag} Org` }),
    ip: uniqueIp(),
  });
  const { access_token } = await r.json();
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await t.fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${access_token}`,
        ...(body ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
  const site = await call("POST", "/api/sites", pjmSite("Hub Site"));
  const pv = await call("POST", "/api/assets", { site_id: site.body.id, name: "PV 1", kind: "solar", capacity_mw: 20 });
  const bess = await call("POST", "/api/assets", {
    site_id: site.body.id,
    name: "BESS",
    kind: "storage",
    capacity_mw: 10,
    energy_mwh: 40,
    charge_mw: 8,
    discharge_mw: 10,
    round_trip_efficiency: 0.88,
    min_soc: 0.1,
    max_soc: 0.9,
  });
  return { t, call, token: access_token as string, pv: pv.body.id as string, bess: bess.body.id as string };
}

const offer = (asset: string, start = deliveryHour()) => ({
  asset_id: asset,
  zone: "PJM",
  market: "DA",
  interval_start: start,
  side: "offer",
  segments: [{ price: 20, quantity: 5 }, { price: 35.5, quantity: 10 }],
});

Deno.test("bids: invalid curves are a 400 naming each field", opts, async () => {
  const { call, pv, bess } = await trader("bidval");
  const cases: [unknown, RegExp][] = [
    [{ ...offer(pv), segments: [{ price: 40, quantity: 5 }, { price: 30, quantity: 5 }] }, /segments\.1\.price/],
    [{ ...offer(pv), segments: [{ price: 20, quantity: 15 }, { price: 30, quantity: 6 }] }, /capacity|20 MW/],
    [{ ...offer(pv), segments: [{ price: 5000, quantity: 1 }] }, /segments\.0\.price/],
    [{ ...offer(pv), side: "bid" }, /side/],
    [{ ...offer(bess), side: "bid", segments: [{ price: 30, quantity: 9 }] }, /8 MW|charge/],
    [{ ...offer(pv), zone: "ERCOT" }, /zone/],
    [{ ...offer(pv), interval_start: deliveryHour().replace(":00:00", ":30:00") }, /interval_start/],
    [{ ...offer(pv), segments: [] }, /segments/],
    [{ ...offer(pv), org_id: "x" }, /org_id/],
  ];
  for (const [body, expected] of cases) {
    const r = await call("POST", "/api/bids", body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(JSON.stringify(r.body.error), expected, JSON.stringify(body));
  }
  const gone = await call("POST", "/api/bids", {
    ...offer(pv),
    interval_start: new Date(Date.UTC(2025, 0, 1, 15)).toISOString(),
  });
  assert.equal(gone.status, 400);
  assert.match(JSON.stringify(gone.body.error), /gate|closed/i);
});

Deno.test("bids: draft → edit → submit → withdraw, with history; stale versions get 409", opts, async () => {
  const { call, pv } = await trader("life");
  const created = await call("POST", "/api/bids", offer(pv));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.status, "draft");
  const id = created.body.id;
  const v1 = created.body.version;

  const edit = await call("PUT", `/api/bids/${id}`, {
    ...offer(pv),
    segments: [{ price: 25, quantity: 20 }],
    version: v1,
  });
  assert.equal(edit.status, 200, JSON.stringify(edit.body));
  assert.equal(edit.body.version, v1 + 1);
  const stale = await call("PUT", `/api/bids/${id}`, { ...offer(pv), version: v1 });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.error.code, "version_conflict");

  // Two submits racing with the same version: exactly one wins.
  const [a, b] = await Promise.all([
    call("POST", `/api/bids/${id}/submit`, { version: v1 + 1 }),
    call("POST", `/api/bids/${id}/submit`, { version: v1 + 1 }),
  ]);
  assert.deepEqual([a.status, b.status].sort(), [200, 409]);
  const notEditable = await call("PUT", `/api/bids/${id}`, { ...offer(pv), version: v1 + 2 });
  assert.equal(notEditable.status, 409);
  assert.equal(notEditable.body.error.code, "invalid_transition");

  const out = await call("POST", `/api/bids/${id}/withdraw`);
  assert.equal(out.status, 200);
  assert.equal(out.body.status, "withdrawn");
  const detail = await call("GET", `/api/bids/${id}`);
  assert.deepEqual(detail.body.history.map((h: { to: string }) => h.to), ["draft", "draft", "submitted", "withdrawn"]);
  assert.ok(detail.body.history.every((h: { at: string; actor_user_id: string | null }) => h.at && h.actor_user_id));
  assert.equal((await call("POST", `/api/bids/${id}/submit`)).status, 409);
});

Deno.test("bids: Idempotency-Key — a retry returns the first answer and creates nothing", opts, async () => {
  const { call, pv } = await trader("idem");
  const key = crypto.randomUUID();
  const first = await call("POST", "/api/bids", offer(pv), { "idempotency-key": key });
  const again = await call("POST", "/api/bids", offer(pv), { "idempotency-key": key });
  assert.equal(first.status, 201);
  assert.equal(again.status, 201);
  assert.deepEqual(again.body, first.body);
  assert.equal(again.headers.get("idempotent-replayed"), "true");
  const list = await call("GET", "/api/bids");
  assert.equal(list.body.items.length, 1);
  const other = await call("POST", "/api/bids", offer(pv, deliveryHour(1)), { "idempotency-key": key });
  assert.equal(other.status, 422);
  // Concurrent retries of one key: still one bid.
  const key2 = crypto.randomUUID();
  const many = await Promise.all(
    Array.from({ length: 5 }, () => call("POST", "/api/bids", offer(pv, deliveryHour(2)), { "idempotency-key": key2 })),
  );
  assert.ok(many.every((r) => r.status === 201));
  assert.equal(new Set(many.map((r) => r.body.id)).size, 1);
  assert.equal((await call("GET", "/api/bids")).body.items.length, 2);
});

Deno.test("bids: batch is all or nothing, with errors per item", opts, async () => {
  const { call, pv } = await trader("batch");
  const good = [offer(pv, deliveryHour(0)), offer(pv, deliveryHour(1))];
  const bad = await call("POST", "/api/bids/batch", {
    bids: [...good, { ...offer(pv, deliveryHour(2)), segments: [{ price: 9999, quantity: 1 }] }],
  });
  assert.equal(bad.status, 400);
  assert.deepEqual([...new Set(bad.body.error.details.map((d: { index: number }) => d.index))], [2]);
  assert.match(bad.body.error.details[0].path, /^body\.bids\.2\.segments\.0\.price/);
  assert.equal((await call("GET", "/api/bids")).body.items.length, 0, "nothing was created");
  const ok = await call("POST", "/api/bids/batch", { bids: good, submit: true });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  assert.deepEqual(ok.body.items.map((b: { status: string }) => b.status), ["submitted", "submitted"]);
  const csv = await call("GET", "/api/bids/export.csv").catch(() => null);
  assert.equal(csv, null, "CSV is not JSON");
});

Deno.test("bids: another organization's bids and assets are 404", opts, async () => {
  const a = await trader("bidwall-a");
  const b = await trader("bidwall-b");
  const bid = await a.call("POST", "/api/bids", offer(a.pv));
  for (
    const [method, path] of [
      ["GET", `/api/bids/${bid.body.id}`],
      ["POST", `/api/bids/${bid.body.id}/submit`],
      ["POST", `/api/bids/${bid.body.id}/withdraw`],
      ["DELETE", `/api/bids/${bid.body.id}`],
    ]
  ) {
    const r = await b.call(method, path);
    assert.equal(r.status, 404, `${method} ${path}`);
  }
  assert.equal((await b.call("POST", "/api/bids", offer(a.pv))).status, 404, "another org's asset");
  assert.equal((await a.call("GET", `/api/bids/${bid.body.id}`)).body.status, "draft");
});

Deno.test("bids: concurrent creations share statements, yet each gets its own committed bid", opts, async () => {
  const { t, call, pv, bess } = await trader("burst");
  const bodies = Array.from(
    { length: 40 },
    (_, i) =>
      i % 2
        ? offer(pv, deliveryHour(i % 8))
        : { ...offer(bess, deliveryHour(i % 8)), segments: [{ price: i, quantity: 1 }] },
  );
  const results = await Promise.all(bodies.map((b) => call("POST", "/api/bids", b)));
  assert.ok(results.every((r) => r.status === 201), JSON.stringify(results.find((r) => r.status !== 201)?.body));
  const ids = results.map((r) => r.body.id);
  assert.equal(new Set(ids).size, 40);
  results.forEach((r, i) => assert.equal(r.body.asset_id, bodies[i].asset_id, "each caller gets its own bid"));
  const db = t.services.db();
  const [{ n }] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM bid_events WHERE bid_id = ANY($1::uuid[]) AND to_status = 'draft'`,
    [ids],
  );
  assert.equal(n, 40, "one history row each");
  const [{ o }] = await db.query<{ o: number }>(
    `SELECT count(*)::int AS o FROM outbox WHERE key = ANY($1::text[])`,
    [ids],
  );
  assert.equal(o, 40, "one outbox event each");
});

Deno.test("bids: export.csv streams the organization's filtered bids with a header", opts, async () => {
  const mine = await trader("csv-mine");
  const other = await trader("csv-other");
  for (let i = 0; i < 3; i++) await mine.call("POST", "/api/bids", offer(mine.pv, deliveryHour(i)));
  await other.call("POST", "/api/bids", offer(other.pv));
  const res = await mine.t.fetch("/api/bids/export.csv?market=DA", {
    headers: { authorization: `Bearer ${mine.token}` },
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-disposition") ?? "", /bids\.csv/);
  const lines = (await res.text()).trim().split("\n");
  assert.equal(
    lines[0],
    "id,asset,zone,market,interval_start_utc,interval_end_utc,side,segments,status,awarded_mw,clearing_price,revenue",
  );
  assert.equal(lines.length, 4, "three bids, none of the other organization");
  assert.match(lines[1], /,PV 1,PJM,DA,.*,offer,5@20 10@35\.5,draft,,,$/);
});
