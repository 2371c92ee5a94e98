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
  // Redirect after POST: a reload shows the page and does not add the site again.
  assert.equal(site.status, 303);
  assert.equal(site.headers.get("location"), "/assets?done=site-added");
  const html = await (await t.fetch("/assets?done=site-added", { headers: { cookie } })).text();
  assert.match(html, /Site added\./);
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
  assert.equal(ok.status, 303);
  const listed = await (await t.fetch(ok.headers.get("location")!, { headers: { cookie } })).text();
  assert.match(listed, /Asset added\./);
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
  // The storage fields are in the form, marked for the CSS that shows them for storage only.
  assert.match(d, /data-storage-only[^>]*>[\s\S]*name="energy_mwh"[^>]*value="80"/);

  // Edit the asset from its page: saved, then redirected; a bad value comes back beside its field.
  const edit = (values: Record<string, string>) =>
    t.fetch(`/assets/${assetId}`, form({ _action: "edit", site_id: siteId, kind: "storage", ...values }, cookie));
  const storage = {
    energy_mwh: "100",
    charge_mw: "25",
    discharge_mw: "25",
    round_trip_efficiency: "0.9",
    min_soc: "0.05",
    max_soc: "0.95",
  };
  const badEdit = await edit({ name: "Coast BESS", capacity_mw: "0", ...storage });
  assert.equal(badEdit.status, 400);
  assert.ok(fieldErrors(await badEdit.text()).capacity_mw);
  const saved = await edit({ name: "Coast BESS 2", capacity_mw: "25", ...storage });
  assert.equal(saved.status, 303);
  assert.equal(saved.headers.get("location"), `/assets/${assetId}?done=saved`);
  const after = await (await t.fetch(saved.headers.get("location")!, { headers: { cookie } })).text();
  assert.match(after, /Asset saved\./);
  assert.match(after, /Coast BESS 2/);
  assert.match(after, /100 MWh/);

  // A site with an asset cannot be deleted: refused with the reason, on the page.
  const siteRefused = await t.fetch(`/assets/sites/${siteId}`, form({ _action: "delete", confirm: "yes" }, cookie));
  assert.equal(siteRefused.status, 409);
  assert.match(await siteRefused.text(), /still has assets/);
  // Edit the site.
  const siteSaved = await t.fetch(
    `/assets/sites/${siteId}`,
    form({ _action: "edit", name: "Coast 2", zone: "CAISO", node: "SP15", latitude: "34", longitude: "-118" }, cookie),
  );
  assert.equal(siteSaved.status, 303);
  const sitePage = await (await t.fetch(siteSaved.headers.get("location")!, { headers: { cookie } })).text();
  assert.match(sitePage, /Site Coast 2/);
  assert.match(sitePage, /<title>Site · Assets · OptiBid<\/title>/);

  // An asset with bids cannot be deleted: refused with the reason; without bids it goes, then its site can.
  const t2 = t.services.db();
  const [{ org_id }] = await t2.query<{ org_id: string }>(`SELECT org_id FROM assets WHERE id = $1`, [assetId]);
  const [{ id: bidId }] = await t2.query<{ id: string }>(
    `INSERT INTO bids (org_id, asset_id, zone, market, interval_start, interval_end, side, segments)
     VALUES ($1, $2, 'CAISO', 'DA', '2025-06-01T10:00:00Z', '2025-06-01T11:00:00Z', 'offer', '[]'::jsonb) RETURNING id`,
    [org_id, assetId],
  );
  const refused = await t.fetch(`/assets/${assetId}`, form({ _action: "delete", confirm: "yes" }, cookie));
  assert.equal(refused.status, 409);
  assert.match(await refused.text(), /The asset has bids; it cannot be deleted/);
  await t2.query(`DELETE FROM bids WHERE id = $1`, [bidId]);
  // Not confirmed: nothing happens, and the form says what is missing.
  const unconfirmed = await t.fetch(`/assets/${assetId}`, form({ _action: "delete" }, cookie));
  assert.equal(unconfirmed.status, 400);
  assert.match(await unconfirmed.text(), /to confirm/);
  const gone = await t.fetch(`/assets/${assetId}`, form({ _action: "delete", confirm: "yes" }, cookie));
  assert.equal(gone.status, 303);
  assert.equal(gone.headers.get("location"), "/assets?done=asset-deleted");
  assert.equal((await t.fetch(`/assets/${assetId}`, { headers: { cookie } })).status, 404);
  const siteGone = await t.fetch(`/assets/sites/${siteId}`, form({ _action: "delete", confirm: "yes" }, cookie));
  assert.equal(siteGone.status, 303);
  assert.equal(siteGone.headers.get("location"), "/assets?done=site-deleted");
});
