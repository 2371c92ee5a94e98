/**
 * Who sees what of the app's health: anyone the overall status (and the
 * liveness and readiness probes, unchanged); an organization admin or the
 * platform operator each service's details. (/system-status, a page with an
 * island, is checked in a browser: tests/e2e/status_page_test.ts.)
 */
import assert from "node:assert/strict";
import { addMember, call, createOrg, expectStatus, opts } from "../helpers/auth.ts";
import { GOOD_PASSWORD, testApp, uniqueIp } from "../helpers/test_app.ts";

const DETAILS = ["version", "uptimeSeconds", "schemaVersion", "services"];

Deno.test(
  "/health: overall status only without credentials or for a non-admin; details for an admin",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "health");
    const viewer = await addMember(t, org, "viewer", "health-viewer");

    const anonymous = await call(t, "GET", "/health");
    assert.ok(anonymous.status === 200 || anonymous.status === 503, anonymous.text);
    assert.deepEqual(Object.keys(anonymous.body).sort(), ["status", "time"], anonymous.text);
    assert.match(anonymous.body.status, /^(healthy|degraded|unhealthy)$/);
    assert.equal(anonymous.headers.get("cache-control"), "no-store");
    assert.doesNotMatch(anonymous.text, /lastError|latencyMs|uptime|version/);

    const asViewer = await call(t, "GET", "/health", { token: viewer.tokens.access_token });
    assert.deepEqual(Object.keys(asViewer.body).sort(), ["status", "time"], "a viewer gets the summary");

    // A forged or expired token is no admin either.
    const forged = await call(t, "GET", "/health", { token: "not-a-token" });
    assert.deepEqual(Object.keys(forged.body ?? {}).sort(), ["status", "time"], forged.text);

    const asAdmin = await call(t, "GET", "/health", { token: org.admin.tokens.access_token });
    for (const key of DETAILS) assert.ok(key in asAdmin.body, `${key} shown to an admin`);
    assert.ok(asAdmin.body.services.some((s: { name: string }) => s.name === "database"));
    assert.equal(asAdmin.status, anonymous.status, "the same HTTP status either way");

    // The probes load balancers use are unchanged and need no credentials.
    const live = await call(t, "GET", "/health/live");
    expectStatus(live, 200, "live");
    assert.equal(live.body.status, "ok");
    const ready = await call(t, "GET", "/health/ready");
    expectStatus(ready, 200, "ready");
    assert.equal(ready.body.status, "ready");
  },
);

Deno.test("/health: the platform operator sees details whatever their role", opts, async () => {
  const operator = "health-operator@example.com";
  const t = await testApp({ OPERATOR_EMAILS: operator });
  const org = await createOrg(t, "healthops");
  // The operator is a mere viewer in this organization: the setting, not the role, shows them the details.
  const inv = await call(t, "POST", "/api/organizations/current/invitations", {
    token: org.admin.tokens.access_token,
    body: { email: operator, role: "viewer" },
    ip: org.admin.ip,
  });
  expectStatus(inv, 201, "invite");
  const r = await call(t, "POST", "/api/auth/register", {
    body: { email: operator, password: GOOD_PASSWORD, name: "Op", invitation_token: inv.body.token },
    ip: uniqueIp(),
  });
  expectStatus(r, 201, "register");
  assert.equal(r.body.role, "viewer");
  const asOperator = await call(t, "GET", "/health", { token: r.body.access_token });
  for (const key of DETAILS) assert.ok(key in asOperator.body, `${key} shown to the operator`);
});
