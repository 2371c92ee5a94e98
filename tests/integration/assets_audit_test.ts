/**
 * Business actions on sites, assets and meter readings are audited (issue 13): who, which organization,
 * what, and the row before and after, written in the same transaction as the change.
 */
import assert from "node:assert/strict";
import { auditLog, call, createOrg, expectStatus, opts } from "../helpers/auth.ts";
import { testApp, uniqueIp } from "../helpers/test_app.ts";

type Entry = {
  action: string;
  actor_user_id: string;
  actor_email: string;
  target_type: string;
  target_id: string;
  ip: string | null;
  details: { before?: Record<string, unknown>; after?: Record<string, unknown>; [k: string]: unknown };
};

Deno.test(
  "audit: creating, changing and deleting a site and an asset leave entries with before/after",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "assetaudit");
    const token = org.admin.tokens.access_token;
    const ip = uniqueIp();

    const site = await call(t, "POST", "/api/sites", {
      token,
      ip,
      body: { name: "North", zone: "PJM", node: "WESTERN HUB", latitude: 39.9, longitude: -77.2 },
    });
    expectStatus(site, 201);
    const siteId = site.body.id as string;
    expectStatus(await call(t, "PUT", `/api/sites/${siteId}`, { token, body: { name: "North 2" } }), 200);
    const asset = await call(t, "POST", "/api/assets", {
      token,
      body: { site_id: siteId, name: "PV", kind: "solar", capacity_mw: 20 },
    });
    expectStatus(asset, 201);
    const assetId = asset.body.id as string;
    expectStatus(
      await call(t, "PUT", `/api/assets/${assetId}`, {
        token,
        body: { site_id: siteId, name: "PV", kind: "solar", capacity_mw: 25 },
      }),
      200,
    );
    // A refused change leaves nothing: the duplicate name is a 409, and no entry records it.
    const dup = await call(t, "POST", "/api/sites", {
      token,
      body: { name: "North 2", zone: "PJM", node: "X", latitude: 0, longitude: 0 },
    });
    expectStatus(dup, 409);
    expectStatus(await call(t, "DELETE", `/api/assets/${assetId}`, { token }), 204);
    expectStatus(await call(t, "DELETE", `/api/sites/${siteId}`, { token }), 204);

    const entries = async (family: string) => {
      const r = await auditLog(t, org.admin, `action=${family}.*&limit=50`);
      expectStatus(r, 200);
      return (r.body.items as Entry[]).reverse(); // oldest first
    };
    const sites = await entries("site");
    assert.deepEqual(sites.map((e) => e.action), ["site.created", "site.updated", "site.deleted"]);
    for (const e of sites) {
      assert.equal(e.target_type, "site");
      assert.equal(e.target_id, siteId);
      assert.equal(e.actor_user_id, org.admin.userId);
      assert.equal(e.actor_email, org.admin.email);
    }
    assert.equal(sites[0].ip, ip);
    assert.equal(sites[0].details.after?.name, "North");
    assert.equal(sites[1].details.before?.name, "North");
    assert.equal(sites[1].details.after?.name, "North 2");
    assert.equal(sites[2].details.before?.name, "North 2");
    assert.equal(sites[2].details.after, undefined);

    const assets = await entries("asset");
    assert.deepEqual(assets.map((e) => e.action), ["asset.created", "asset.updated", "asset.deleted"]);
    assert.ok(assets.every((e) => e.target_type === "asset" && e.target_id === assetId));
    assert.equal(assets[0].details.after?.capacity_mw, 20);
    assert.equal(assets[1].details.before?.capacity_mw, 20);
    assert.equal(assets[1].details.after?.capacity_mw, 25);
    assert.equal(assets[2].details.before?.capacity_mw, 25);
  },
);

Deno.test("audit: meter readings written and deleted, and an asset added by the page form", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "meteraudit");
  const token = org.admin.tokens.access_token;
  const site = await call(t, "POST", "/api/sites", {
    token,
    body: { name: "S", zone: "SPP", node: "SPP NORTH HUB", latitude: 40, longitude: -97 },
  });
  // The page form, as a browser without JavaScript posts it.
  const page = await t.fetch("/assets", {
    method: "POST",
    headers: {
      accept: "text/html",
      authorization: `Bearer ${token}`,
      "content-type": "application/x-www-form-urlencoded",
      origin: t.origin,
    },
    body: new URLSearchParams({
      _action: "asset",
      site_id: site.body.id,
      name: "Wind",
      kind: "wind",
      capacity_mw: "30",
    })
      .toString(),
    ip: uniqueIp(),
  });
  assert.equal(page.status, 303, (await page.text()).slice(0, 300));
  const created = await auditLog(t, org.admin, "action=asset.created");
  assert.equal(created.body.items.length, 1);
  const assetId = created.body.items[0].target_id as string;
  assert.equal(created.body.items[0].details.after.name, "Wind");

  const start = Math.floor((Date.now() - 3 * 3_600_000) / 300_000) * 300_000;
  const at = (ms: number) => new Date(ms).toISOString();
  const readings = [0, 1, 2].map((i) => ({
    interval_start: at(start + i * 300_000),
    interval_end: at(start + (i + 1) * 300_000),
    mw: 10 + i,
  }));
  expectStatus(await call(t, "PUT", `/api/assets/${assetId}/meter-readings`, { token, body: { readings } }), 200);
  const del = await call(
    t,
    "DELETE",
    `/api/assets/${assetId}/meter-readings?from=${at(start)}&to=${at(start + 600_000)}`,
    { token },
  );
  expectStatus(del, 200);
  const r = await auditLog(t, org.admin, "action=meter_readings.*");
  const [deleted, written] = r.body.items as Entry[];
  assert.equal(written.action, "meter_readings.written");
  assert.equal(written.target_id, assetId);
  assert.deepEqual(
    {
      from: written.details.from,
      to: written.details.to,
      count: written.details.count,
      created: written.details.created,
    },
    { from: at(start), to: at(start + 900_000), count: 3, created: 3 },
  );
  assert.equal(deleted.action, "meter_readings.deleted");
  assert.equal(deleted.details.deleted, 2);
});
