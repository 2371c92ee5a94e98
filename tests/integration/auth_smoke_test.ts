import assert from "node:assert/strict";
import { GOOD_PASSWORD, json, testApp, uniqueEmail, uniqueIp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test("register, then /api/auth/me with the access token", opts, async () => {
  const t = await testApp();
  const ip = uniqueIp();
  const email = uniqueEmail();
  const r = await t.fetch("/api/auth/register", {
    ...json({ email, password: GOOD_PASSWORD, name: "Ada", organization_name: "Smoke Co" }),
    ip,
  });
  assert.equal(r.status, 201, await r.clone().text());
  const tokens = await r.json();
  const me = await t.fetch("/api/auth/me", { headers: { authorization: `Bearer ${tokens.access_token}` }, ip });
  assert.equal(me.status, 200);
  const body = await me.json();
  assert.equal(body.user.email, email);
  assert.equal(body.role, "admin");
});
