/** /assets and /assets/:id as forms without JavaScript: errors beside fields, viewers read only, detail with P&L. */
import assert from "node:assert/strict";
import { GOOD_PASSWORD, testApp, uniqueEmail, uniqueIp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

function form(values: Record<string, string>, cookie: string): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost", cookie },
    body: new URLSearchParams(values).toString(),
    redirect: "manual",
  };
}

const fieldErrors = (html: string) =>
  Object.fromEntries([...html.matchAll(/data-field-error="([^"]+)"[^>]*>([^<]*)</g)].map((m) => [m[1], m[2]]));

Deno.test("assets pages: add a site and a storage asset by form; errors beside fields; detail page", opts, async () => {
  const t = await testApp();
  const reg = await t.fetch("/register", {
    ...form({ name: "Ann", email: uniqueEmail("ap"), password: GOOD_PASSWORD, organization_name: "Asset Pages" }, ""),
    ip: uniqueIp(),
  });
  const cookie = reg.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  assert.equal((await t.fetch("/assets", { headers: { cookie } })).status, 200);

  const bad = await t.fetch(
    "/assets",
    form({ _action: "site", name: "", zone: "PJM", node: "", latitude: "91", longitude: "x" }, cookie),
  );
  assert.equal(bad.status, 400);
  const errs = fieldErrors(await bad.text());
  assert.ok(errs.name && errs.node && errs.latitude && errs.longitude, JSON.stringify(errs));

  const site = await t.fetch(
    "/assets",
    form(
      { _action: "site", name: "Coast", zone: "CAISO", node: "SP15", latitude: "34.05", longitude: "-118.2" },
      cookie,
    ),
  );
  assert.equal(site.status, 201);
  const html = await site.text();
  const siteId = /<option[^>]*value="([0-9a-f-]{36})"/.exec(html)?.[1];
  assert.ok(siteId, "the new site is offered for assets");

  const noSoc = await t.fetch(
    "/assets",
    form({ _action: "asset", site_id: siteId, name: "B", kind: "storage", capacity_mw: "20" }, cookie),
  );
  assert.equal(noSoc.status, 400);
  assert.match(fieldErrors(await noSoc.text()).energy_mwh ?? "", /required for storage/);

  const ok = await t.fetch(
    "/assets",
    form({
      _action: "asset",
      site_id: siteId,
      name: "Coast BESS",
      kind: "storage",
      capacity_mw: "20",
      energy_mwh: "80",
      charge_mw: "20",
      discharge_mw: "20",
      round_trip_efficiency: "0.9",
      min_soc: "0.05",
      max_soc: "0.95",
    }, cookie),
  );
  assert.equal(ok.status, 201);
  const listed = await ok.text();
  const assetId = /href="\/assets\/([0-9a-f-]{36})"/.exec(listed)?.[1];
  assert.ok(assetId);
  const detail = await t.fetch(`/assets/${assetId}`, { headers: { cookie } });
  assert.equal(detail.status, 200);
  const d = await detail.text();
  assert.match(d, /Coast BESS/);
  assert.match(d, /80 MWh/);
  assert.match(d, /No settled bids in this period/);
  assert.equal((await t.fetch(`/assets/00000000-0000-4000-8000-000000000000`, { headers: { cookie } })).status, 404);
  assert.equal((await t.fetch(`/assets/not-a-uuid`, { headers: { cookie } })).status, 404);
});
