/**
 * One list shape for every list endpoint: `{ items, next_cursor }`, `limit` and `cursor` in the query, pages
 * that together hold every row exactly once, and a cursor that is not one of the list's own refused with 400.
 */
import assert from "node:assert/strict";
import { addMember, call, createOrg, expectError, expectStatus, opts, type Org } from "../helpers/auth.ts";
import { type TestApp, testApp } from "../helpers/test_app.ts";

/** Every page of `path` at `limit` a page; asserts the shape of each. */
async function allPages(t: TestApp, org: Org, path: string, limit: number) {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const r = await call(
      t,
      "GET",
      `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      {
        token: org.admin.tokens.access_token,
        ip: org.admin.ip,
      },
    );
    expectStatus(r, 200, path);
    assert.deepEqual(Object.keys(r.body).sort(), ["items", "next_cursor"], `${path}: the list shape`);
    assert.ok(r.body.items.length <= limit, `${path}: at most ${limit} a page`);
    cursor = r.body.next_cursor;
    if (cursor !== null) assert.equal(r.body.items.length, limit, `${path}: only the last page is short`);
    ids.push(...r.body.items.map((i: { id: string }) => i.id));
    pages++;
  } while (cursor !== null && pages < 50);
  return { ids, pages };
}

Deno.test("lists: sites, assets, members, invitations and API keys page by cursor, each row once", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "pages");
  const as = { token: org.admin.tokens.access_token, ip: org.admin.ip };

  // Five sites with two sharing a name prefix, so the order is by name with the id breaking no ties wrongly.
  const siteIds: string[] = [];
  for (const name of ["Delta", "Alpha", "Charlie", "Bravo", "Alpha 2"]) {
    const r = await call(t, "POST", "/api/sites", {
      ...as,
      body: { name, zone: "PJM", node: "WESTERN HUB", latitude: 39.9, longitude: -77.2 },
    });
    expectStatus(r, 201, "site");
    siteIds.push(r.body.id);
  }
  const sites = await allPages(t, org, "/api/sites", 2);
  assert.equal(sites.pages, 3);
  assert.deepEqual([...sites.ids].sort(), [...siteIds].sort(), "every site once");
  const names = (await call(t, "GET", "/api/sites?limit=500", as)).body.items.map((s: { name: string }) => s.name);
  assert.deepEqual(names, [...names].sort(), "by name");

  const assetIds: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await call(t, "POST", "/api/assets", {
      ...as,
      body: { site_id: siteIds[i % 2], name: `Array ${i}`, kind: "solar", capacity_mw: 10 + i },
    });
    expectStatus(r, 201, "asset");
    assetIds.push(r.body.id);
  }
  const assets = await allPages(t, org, "/api/assets", 2);
  assert.deepEqual([...assets.ids].sort(), [...assetIds].sort(), "every asset once");
  // Filters and paging together: the three assets of the first site, two a page.
  const ofSite = await allPages(t, org, `/api/assets?site_id=${siteIds[0]}`, 2);
  assert.equal(ofSite.ids.length, 3);
  assert.equal(ofSite.pages, 2);

  // Members joined one after another (often within the same millisecond: the id breaks the tie).
  const members = await Promise.all((["trader", "analyst", "viewer"] as const).map((role) => addMember(t, org, role)));
  const users = await allPages(t, org, "/api/users", 1);
  assert.deepEqual([...users.ids].sort(), [org.admin.userId, ...members.map((m) => m.userId)].sort());

  const invitationIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await call(t, "POST", "/api/organizations/current/invitations", {
      ...as,
      body: { email: `pending-${i}-${crypto.randomUUID().slice(0, 8)}@example.com`, role: "viewer" },
    });
    expectStatus(r, 201, "invite");
    invitationIds.push(r.body.invitation.id);
  }
  const invitations = await allPages(t, org, "/api/organizations/current/invitations", 2);
  assert.deepEqual([...invitations.ids].sort(), [...invitationIds].sort());

  const keyIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await call(t, "POST", "/api/api-keys", { ...as, body: { name: `key ${i}` } });
    expectStatus(r, 201, "api key");
    keyIds.push(r.body.api_key.id);
  }
  const keys = await allPages(t, org, "/api/api-keys", 2);
  assert.deepEqual([...keys.ids].sort(), [...keyIds].sort());
  // Newest first.
  assert.deepEqual(
    (await call(t, "GET", "/api/api-keys", as)).body.items.map((k: { id: string }) => k.id),
    [
      ...keyIds,
    ].reverse(),
  );
});

Deno.test("lists: a cursor that is not the list's own is a 400, never a 500", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "badcursor");
  const as = { token: org.admin.tokens.access_token, ip: org.admin.ip };
  const foreign = btoa(JSON.stringify(["not a date", "not a uuid"]));
  for (
    const path of ["/api/sites", "/api/assets", "/api/users", "/api/organizations/current/invitations", "/api/api-keys"]
  ) {
    for (const cursor of ["garbage!", foreign, btoa("[1]"), btoa("{}"), "%FF%FE"]) {
      const r = await call(
        t,
        "GET",
        `${path}?cursor=${cursor.startsWith("%") ? cursor : encodeURIComponent(cursor)}`,
        as,
      );
      expectError(r, 400, "invalid_cursor", `${path} cursor ${cursor}`);
    }
    expectError(await call(t, "GET", `${path}?limit=0`, as), 400, "validation_failed", `${path} limit=0`);
  }
});

Deno.test("lists: fixed sets (zones, latest prices) have the same shape, on one page", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "fixedlists");
  const as = { token: org.admin.tokens.access_token, ip: org.admin.ip };
  for (const path of ["/api/market-data/zones", "/api/market-data/latest"]) {
    const r = await call(t, "GET", path, as);
    expectStatus(r, 200, path);
    assert.deepEqual(Object.keys(r.body).sort(), ["items", "next_cursor"], path);
    assert.equal(r.body.next_cursor, null);
    assert.equal(r.body.items.length, 7);
  }
});

Deno.test("lists: meter readings page by interval start within their range", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "readpages");
  const as = { token: org.admin.tokens.access_token, ip: org.admin.ip };
  const site = await call(t, "POST", "/api/sites", {
    ...as,
    body: { name: "Meter Site", zone: "PJM", node: "WESTERN HUB", latitude: 39.9, longitude: -77.2 },
  });
  expectStatus(site, 201, "site");
  const asset = await call(t, "POST", "/api/assets", {
    ...as,
    body: { site_id: site.body.id, name: "Metered", kind: "solar", capacity_mw: 10 },
  });
  expectStatus(asset, 201, "asset");
  // Seven 5-minute readings, ending an hour ago (on the grid).
  const step = 5 * 60_000;
  const end = Math.floor((Date.now() - 3_600_000) / step) * step;
  const starts = Array.from({ length: 7 }, (_, i) => end - (7 - i) * step);
  const iso = (ms: number) => new Date(ms).toISOString();
  const readings = starts.map((s, i) => ({ interval_start: iso(s), interval_end: iso(s + step), mw: i }));
  expectStatus(await call(t, "PUT", `/api/assets/${asset.body.id}/meter-readings`, { ...as, body: { readings } }), 200);

  const range = `from=${iso(starts[0])}&to=${iso(end)}`;
  const seen: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r = await call(
      t,
      "GET",
      `/api/assets/${asset.body.id}/meter-readings?${range}&limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      as,
    );
    expectStatus(r, 200, "readings page");
    assert.deepEqual(Object.keys(r.body).sort(), ["items", "next_cursor"]);
    seen.push(...r.body.items.map((x: { mw: number }) => x.mw));
    cursor = r.body.next_cursor;
    pages++;
  } while (cursor !== null && pages < 10);
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6], "oldest first, each once");
  assert.equal(pages, 3);
  const bad = await call(t, "GET", `/api/assets/${asset.body.id}/meter-readings?${range}&cursor=nope`, as);
  expectError(bad, 400, "invalid_cursor");
});
