/** Day templates through the API: saved, listed by asset kind, read, refused when malformed or a duplicate, deleted; per organization. */
import assert from "node:assert/strict";
import { GOOD_PASSWORD, json, testApp, uniqueEmail, uniqueIp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

async function member(tag: string) {
  const t = await testApp();
  const r = await t.fetch("/api/auth/register", {
    ...json({ email: uniqueEmail(tag), password: GOOD_PASSWORD, name: "T", organization_name: `${tag} Org` }),
    ip: uniqueIp(),
  });
  const { access_token } = await r.json();
  return async (method: string, path: string, body?: unknown) => {
    const res = await t.fetch(path, {
      method,
      headers: { authorization: `Bearer ${access_token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

const evening = {
  name: "Evening peak",
  asset_kind: "storage",
  hours: [
    { label: "HE2", side: "bid", segments: [{ price: 20, quantity: 10 }] },
    { label: "HE2*", side: "bid", segments: [{ price: 20, quantity: 10 }] },
    { label: "HE19", side: "offer", segments: [{ price: 45, quantity: 10 }, { price: 80, quantity: 5 }] },
  ],
};

Deno.test(
  "day templates: save, list by kind, read, duplicate 409, bad hours 400, delete, other org 404",
  opts,
  async () => {
    const call = await member("tmpl");
    const made = await call("POST", "/api/bid-templates", evening);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.body.name, "Evening peak");
    assert.deepEqual(made.body.hours, evening.hours);
    const solar = await call("POST", "/api/bid-templates", {
      name: "Solar noon",
      asset_kind: "solar",
      hours: [{ label: "HE13", side: "offer", segments: [{ price: 0, quantity: 50 }] }],
    });
    assert.equal(solar.status, 201);

    const storageOnly = await call("GET", "/api/bid-templates?asset_kind=storage");
    assert.deepEqual(storageOnly.body.items.map((t: { name: string }) => t.name), ["Evening peak"]);
    assert.equal(storageOnly.body.next_cursor, null);
    const page1 = await call("GET", "/api/bid-templates?limit=1");
    assert.equal(page1.body.items.length, 1);
    const page2 = await call("GET", `/api/bid-templates?limit=1&cursor=${page1.body.next_cursor}`);
    assert.deepEqual(page2.body.items.map((t: { name: string }) => t.name), ["Solar noon"]);
    assert.deepEqual((await call("GET", `/api/bid-templates/${made.body.id}`)).body.hours, evening.hours);

    const dup = await call("POST", "/api/bid-templates", evening);
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, "duplicate_name");
    for (
      const hours of [
        [{ label: "HE25", side: "offer", segments: [{ price: 1, quantity: 1 }] }],
        [{ label: "HE3", side: "offer", segments: [] }],
        [evening.hours[0], evening.hours[0]],
      ]
    ) {
      const bad = await call("POST", "/api/bid-templates", { ...evening, name: "Bad", hours });
      assert.equal(bad.status, 400, JSON.stringify(hours));
      assert.match(JSON.stringify(bad.body.error.details), /hours/);
    }
    assert.equal((await call("POST", "/api/bid-templates", { ...evening, name: "X", extra: 1 })).status, 400);

    const other = await member("tmpl-other");
    assert.equal((await other("GET", `/api/bid-templates/${made.body.id}`)).status, 404);
    assert.equal((await other("DELETE", `/api/bid-templates/${made.body.id}`)).status, 404);
    assert.equal((await other("GET", "/api/bid-templates")).body.items.length, 0);

    assert.equal((await call("DELETE", `/api/bid-templates/${made.body.id}`)).status, 204);
    assert.equal((await call("GET", `/api/bid-templates/${made.body.id}`)).status, 404);
  },
);
