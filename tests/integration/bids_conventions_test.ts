/**
 * API conventions of issue 13: an idempotent replay is the first answer byte for byte; submit and
 * withdraw take no body at all (the OpenAPI says it is optional); a bid's zone comes from its asset;
 * history and P&L have default ranges; query parameters are snake_case only (`group_by`), as documented.
 */
import assert from "node:assert/strict";
import { call, createOrg, expectError, expectStatus } from "../helpers/auth.ts";
import { submissionDeadline } from "../../services/bids/schema.ts";
import { deliveryHour, siteWithAsset } from "../helpers/bids.ts";
import { testApp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
const DAY = 86_400_000;

async function setup(tag: string) {
  const t = await testApp();
  const org = await createOrg(t, tag);
  const token = org.admin.tokens.access_token;
  const { assetId } = await siteWithAsset(t, token, { name: "Conv Solar", kind: "solar", capacity_mw: 20 });
  const api = (method: string, path: string, o: { body?: unknown; headers?: Record<string, string> } = {}) =>
    call(t, method, path, { token, ...o });
  const offer = (start = deliveryHour()) => ({
    asset_id: assetId,
    zone: "PJM",
    market: "DA",
    interval_start: start,
    side: "offer",
    segments: [{ price: 20, quantity: 5 }, { price: 35.5, quantity: 10 }],
  });
  const noZone = (start?: string) => {
    const { zone: _, ...rest } = offer(start);
    return rest;
  };
  return { t, org, api, offer, noZone, assetId };
}

Deno.test("idempotent replay: the same key twice answers byte-identical bodies", opts, async () => {
  const { api, offer } = await setup("conv-bytes");
  const key = { "idempotency-key": crypto.randomUUID() };
  const first = await api("POST", "/api/bids", { body: offer(), headers: key });
  const again = await api("POST", "/api/bids", { body: offer(), headers: key });
  expectStatus(first, 201);
  expectStatus(again, 201);
  assert.equal(again.headers.get("idempotent-replayed"), "true");
  assert.equal(again.text, first.text, "the stored bytes, not re-serialised JSON");
  assert.equal(again.headers.get("content-type"), first.headers.get("content-type"));

  const submitKey = { "idempotency-key": crypto.randomUUID() };
  const s1 = await api("POST", `/api/bids/${first.body.id}/submit`, { body: {}, headers: submitKey });
  const s2 = await api("POST", `/api/bids/${first.body.id}/submit`, { body: {}, headers: submitKey });
  expectStatus(s1, 200);
  expectStatus(s2, 200);
  assert.equal(s2.text, s1.text);

  const batchKey = { "idempotency-key": crypto.randomUUID() };
  const batch = { bids: [offer(deliveryHour(1)), offer(deliveryHour(2))] };
  const b1 = await api("POST", "/api/bids/batch", { body: batch, headers: batchKey });
  const b2 = await api("POST", "/api/bids/batch", { body: batch, headers: batchKey });
  expectStatus(b1, 201);
  assert.equal(b2.text, b1.text);
});

Deno.test("submit and withdraw: no body at all, even with a JSON Content-Type, is fine", opts, async () => {
  const { api, offer } = await setup("conv-nobody");
  for (const headers of [{}, { "content-type": "application/json" }] as Record<string, string>[]) {
    const bid = await api("POST", "/api/bids", { body: offer() });
    expectStatus(bid, 201);
    const submitted = await api("POST", `/api/bids/${bid.body.id}/submit`, { headers });
    expectStatus(submitted, 200, JSON.stringify(headers));
    assert.equal(submitted.body.status, "submitted");
    const withdrawn = await api("POST", `/api/bids/${bid.body.id}/withdraw`, { headers });
    expectStatus(withdrawn, 200, JSON.stringify(headers));
    assert.equal(withdrawn.body.status, "withdrawn");
  }
  // A body that is sent must still be JSON of the right shape.
  const bid = await api("POST", "/api/bids", { body: offer() });
  expectError(await api("POST", `/api/bids/${bid.body.id}/submit`, { body: "{" }), 400, "invalid_json");
  expectError(await api("POST", `/api/bids/${bid.body.id}/submit`, { body: { v: 1 } }), 400, "validation_failed");
});

Deno.test("bids: zone is optional (the asset fixes it); a different one is a 400 naming body.zone", opts, async () => {
  const { api, offer, noZone } = await setup("conv-zone");
  const created = await api("POST", "/api/bids", { body: noZone() });
  expectStatus(created, 201);
  assert.equal(created.body.zone, "PJM");
  const same = await api("POST", "/api/bids", { body: { ...offer(deliveryHour(1)), zone: "PJM" } });
  expectStatus(same, 201);
  const other = await api("POST", "/api/bids", { body: { ...offer(deliveryHour(2)), zone: "ERCOT" } });
  expectError(other, 400, "validation_failed");
  assert.deepEqual(other.body.error.details.map((d: { path: string; code: string }) => [d.path, d.code]), [
    ["body.zone", "zone_mismatch"],
  ]);
  const edit = await api("PUT", `/api/bids/${created.body.id}`, {
    body: { ...noZone(), version: created.body.version },
  });
  expectStatus(edit, 200);
  const batch = await api("POST", "/api/bids/batch", { body: { bids: [noZone(deliveryHour(3))] } });
  expectStatus(batch, 201);
  assert.equal(batch.body.items[0].zone, "PJM");
});

Deno.test("history and pnl: default ranges (7 and 30 days up to now); group_by and nothing else", opts, async () => {
  const { api } = await setup("conv-range");
  const t0 = Date.now();
  const history = await api("GET", "/api/market-data/history?zone=PJM");
  expectStatus(history, 200);
  for (const tick of history.body.items as { interval_start: string }[]) {
    const at = Date.parse(tick.interval_start);
    assert.ok(at >= t0 - 7 * DAY - 60_000 && at <= Date.now(), tick.interval_start);
  }
  const onlyTo = await api("GET", `/api/market-data/history?zone=PJM&to=${new Date(t0 - DAY).toISOString()}`);
  expectStatus(onlyTo, 200);
  const future = await api("GET", `/api/market-data/history?zone=PJM&from=${new Date(t0 + DAY).toISOString()}`);
  expectError(future, 400, "validation_failed");

  const pnl = await api("GET", "/api/portfolio/pnl");
  expectStatus(pnl, 200);
  assert.equal(Date.parse(pnl.body.to) - Date.parse(pnl.body.from), 30 * DAY);
  assert.ok(Math.abs(Date.parse(pnl.body.to) - t0) < 60_000);
  assert.equal(pnl.body.group_by, "day");
  const byZone = await api("GET", "/api/portfolio/pnl?group_by=zone");
  expectStatus(byZone, 200);
  assert.equal(byZone.body.group_by, "zone");
  const camel = await api("GET", "/api/portfolio/pnl?groupBy=zone");
  expectError(camel, 400, "validation_failed");
  assert.match(camel.text, /groupBy/);
});

Deno.test("OpenAPI: the conventions as documented", opts, async () => {
  const { api } = await setup("conv-doc");
  const doc = (await api("GET", "/api/openapi.json")).body;
  const params = (
    path: string,
  ) => (doc.paths[path].get.parameters as { name: string; required: boolean; description?: string }[]);
  const pnl = params("/api/portfolio/pnl");
  assert.ok(pnl.some((p) => p.name === "group_by"));
  assert.ok(!pnl.some((p) => /[A-Z]/.test(p.name)), "snake_case only");
  for (const path of ["/api/portfolio/pnl", "/api/market-data/history"]) {
    for (const name of ["from", "to"]) {
      const p = params(path).find((x) => x.name === name)!;
      assert.equal(p.required, false, `${path} ${name}`);
      assert.match(p.description ?? "", /Default/);
    }
  }
  assert.equal(doc.paths["/api/bids/{id}/submit"].post.requestBody.required, false);
  assert.equal(doc.paths["/api/bids/{id}/withdraw"].post.requestBody.required, false);
  const input = doc.paths["/api/bids"].post.requestBody.content["application/json"].schema;
  const deref = (s: { $ref?: string }) => s.$ref ? doc.components.schemas[s.$ref.split("/").pop()!] : s;
  // A physical bid or a virtual one (`kind: "virtual"`): the physical one's zone is optional (the asset fixes it).
  const options = (deref(input).oneOf ?? deref(input).anyOf ?? [input]) as { $ref?: string }[];
  const physical = options.map(deref).find((o) => o.properties?.asset_id);
  assert.ok(physical, JSON.stringify(input));
  assert.ok(!physical.required.includes("zone"), JSON.stringify(physical.required));
  const virtual = options.map(deref).find((o) => o.properties?.location);
  assert.ok(virtual?.required.includes("zone") && virtual.required.includes("location"), JSON.stringify(virtual));
});

Deno.test("withdraw: a draft past its gate can be closed out; a submitted bid past it cannot (409)", opts, async () => {
  const { t, org, api, assetId } = await setup("conv-gate");
  // Placed directly: the API refuses to create a bid whose gate has closed.
  const start = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * DAY);
  assert.ok(submissionDeadline("PJM", "DA", start).getTime() < Date.now());
  const place = async (status: string) => {
    const [{ id }] = await t.services.db().query<{ id: string }>(
      `INSERT INTO bids (org_id, asset_id, zone, market, interval_start, interval_end, side, segments, status,
                         created_by)
       VALUES ($1, $2, 'PJM', 'DA', $3, $4, 'offer', '[{"price": 20, "quantity": 5}]'::jsonb, $5, $6) RETURNING id`,
      [
        org.id,
        assetId,
        start.toISOString(),
        new Date(start.getTime() + 3_600_000).toISOString(),
        status,
        org.admin.userId,
      ],
    );
    return id;
  };
  const draft = await place("draft");
  const withdrawn = await api("POST", `/api/bids/${draft}/withdraw`);
  expectStatus(withdrawn, 200);
  assert.equal(withdrawn.body.status, "withdrawn");
  // The market no longer takes it, and a submitted bid cannot leave a closed market.
  expectError(await api("POST", `/api/bids/${await place("draft")}/submit`), 409, "gate_closed");
  const submitted = await api("POST", `/api/bids/${await place("submitted")}/withdraw`);
  expectStatus(submitted, 409);
});
