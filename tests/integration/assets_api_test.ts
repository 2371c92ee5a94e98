/** Sites and assets: CRUD, storage rules, unique names, tenant walls, viewers read and traders write. */
import assert from "node:assert/strict";
import { battery as storageAsset, pjmSite } from "../helpers/bids.ts";
import { GOOD_PASSWORD, json, testApp, uniqueEmail, uniqueIp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

async function org(tag: string) {
  const t = await testApp();
  const r = await t.fetch("/api/auth/register", {
    ...json({ email: uniqueEmail(tag), password: GOOD_PASSWORD, name: "A", organization_name: `${tag} Org` }),
    ip: uniqueIp(),
  });
  const { access_token } = await r.json();
  const auth = { authorization: `Bearer ${access_token}` };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await t.fetch(path, {
      method,
      headers: { ...auth, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  return { t, call };
}

const site = pjmSite("Solar Ridge");
const battery = storageAsset("BESS 1");

Deno.test("sites and assets: create, read, update, delete with their rules", opts, async () => {
  const { call } = await org("assets");
  const s = await call("POST", "/api/sites", site);
  assert.equal(s.status, 201, JSON.stringify(s.body));
  assert.equal((await call("POST", "/api/sites", site)).status, 409, "unique name per organization");
  const a = await call("POST", "/api/assets", { ...battery, site_id: s.body.id });
  assert.equal(a.status, 201, JSON.stringify(a.body));
  assert.equal(a.body.zone, "PJM");
  assert.equal(a.body.round_trip_efficiency, 0.87);

  const missing = await call("POST", "/api/assets", {
    site_id: s.body.id,
    name: "B2",
    kind: "storage",
    capacity_mw: 10,
  });
  assert.equal(missing.status, 400);
  assert.match(missing.body.error.message, /energy_mwh is required for storage/);
  const solarWithSoc = await call("POST", "/api/assets", {
    site_id: s.body.id,
    name: "PV",
    kind: "solar",
    capacity_mw: 20,
    min_soc: 0.1,
  });
  assert.equal(solarWithSoc.status, 400);
  assert.match(solarWithSoc.body.error.message, /min_soc is only for storage/);
  const badSoc = await call("POST", "/api/assets", { ...battery, name: "B3", site_id: s.body.id, min_soc: 0.95 });
  assert.equal(badSoc.status, 400);
  assert.match(badSoc.body.error.message, /min_soc must be below max_soc/);

  const up = await call("PUT", `/api/assets/${a.body.id}`, { ...battery, site_id: s.body.id, capacity_mw: 60 });
  assert.equal(up.body.capacity_mw, 60);
  assert.equal((await call("GET", `/api/assets?site_id=${s.body.id}`)).body.items.length, 1);
  assert.equal((await call("DELETE", `/api/sites/${s.body.id}`)).status, 409, "a site with assets stays");
  assert.equal((await call("DELETE", `/api/assets/${a.body.id}`)).status, 204);
  assert.equal((await call("DELETE", `/api/sites/${s.body.id}`)).status, 204);
  assert.equal((await call("GET", `/api/sites/${s.body.id}`)).status, 404);
});

Deno.test("assets: another organization's site and asset are 404, and cannot be used", opts, async () => {
  const a = await org("wall-a");
  const b = await org("wall-b");
  const s = await a.call("POST", "/api/sites", site);
  const asset = await a.call("POST", "/api/assets", { ...battery, site_id: s.body.id });
  for (const path of [`/api/sites/${s.body.id}`, `/api/assets/${asset.body.id}`]) {
    const r = await b.call("GET", path);
    assert.equal(r.status, 404, path);
    assert.ok(!JSON.stringify(r.body).includes("Solar Ridge"));
  }
  const stolen = await b.call("POST", "/api/assets", { ...battery, site_id: s.body.id });
  assert.equal(stolen.status, 404, "a site of another organization is not found");
  assert.equal((await b.call("DELETE", `/api/assets/${asset.body.id}`)).status, 404);
  assert.equal((await a.call("GET", `/api/assets/${asset.body.id}`)).status, 200, "still there");
  assert.equal((await b.call("GET", "/api/sites")).body.items.length, 0);
});
