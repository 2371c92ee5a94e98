/**
 * The WebSocket API over real sockets against the in-process app (served on a
 * port, since an upgrade needs a real connection): authentication before the
 * upgrade, the welcome within 1 s, snapshots, subscribe/unsubscribe, error
 * frames for bad frames and zones, what the middleware does to a 101, and the
 * admin endpoints (stats, broadcasts) with their permissions and tenant scope.
 */
import assert from "node:assert/strict";
import { addMember, call, createOrg, expectError, expectStatus, opts, type TokenPair } from "../helpers/auth.ts";
import { GOOD_PASSWORD, testApp, uniqueEmail } from "../helpers/test_app.ts";
import { rawHandshake, serve, waitFor, WsProbe } from "../helpers/ws.ts";
import type { PriceTick } from "../../services/market/types.ts";
import type { Iso } from "../../services/market/zones.ts";
import { ticksOf } from "../../services/realtime/rows.ts";

/** The platform operator of this app (OPERATOR_EMAILS): sees the instance's counters. */
const OPERATOR = uniqueEmail("ws-operator");
const t = await testApp({ OPERATOR_EMAILS: OPERATOR });
const srv = serve(t.app);
const org = await createOrg(t, "ws");
const viewer = await addMember(t, org, "viewer", "ws-viewer");
const other = await createOrg(t, "ws-other");
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const adminAuth = bearer(org.admin.tokens.access_token);

/** Ticks of an interval newer than any earlier test's, so they are what a snapshot must show. */
let hour = 0;
function freshTick(zone: Iso, lmp: number, market: "DA" | "RT" = "RT"): PriceTick {
  const start = new Date(Date.UTC(2090, 0, 1, hour++));
  return {
    zone,
    market,
    interval_start: start.toISOString(),
    interval_end: new Date(start.getTime() + 3_600_000).toISOString(),
    lmp,
    energy: lmp - 3,
    congestion: 2,
    loss: 1,
  };
}

Deno.test("no credentials or a bad token: 401 before the upgrade; a plain GET: 426", opts, async () => {
  const attempts: Record<string, string>[] = [{}, bearer("not-a-token"), { cookie: "ob_at=garbage" }];
  for (const headers of attempts) {
    const r = await rawHandshake(srv.port, "/api/ws/prices", headers);
    r.conn.close();
    assert.equal(r.status, 401, JSON.stringify(headers));
  }
  await assert.rejects(WsProbe.open(`${srv.ws}/api/ws/market/PJM`));
  const plain = await fetch(`${srv.url}/api/ws/prices`, { headers: adminAuth });
  assert.equal(plain.status, 426);
  assert.equal((await plain.json()).error.code, "upgrade_required");
});

Deno.test("welcome first, then a snapshot of the latest prices, then updates", opts, async () => {
  const [rt, da] = [freshTick("CAISO", 41.5), freshTick("CAISO", 39, "DA")];
  const flushes = t.services.realtime.stats().flushes;
  t.services.realtime.publishPrices([rt, da]);
  // Once their window is flushed, they are in the snapshot and not in an update.
  await waitFor(() => t.services.realtime.stats().flushes > flushes, 10_000, "the window flushed");
  const ws = await WsProbe.open(`${srv.ws}/api/ws/market/caiso`, adminAuth);
  try {
    const welcome = await ws.next("welcome");
    assert.deepEqual(welcome.zones, ["CAISO"]);
    assert.equal(welcome.heartbeat_ms, 20_000);
    assert.deepEqual(ws.frames[0].type, "welcome", "the first frame");
    const snap = await ws.next("snapshot");
    assert.deepEqual(snap.zones, ["CAISO"]);
    assert.deepEqual(snap.ticks, [da, rt]);

    const update = freshTick("CAISO", 55);
    const before = Date.now();
    t.services.realtime.publishPrices([update, freshTick("PJM", 1)]);
    const prices = await ws.next("prices");
    assert.deepEqual(ticksOf(prices), [update], "only the zone of the stream");
    assert.ok(prices.published_at >= before && prices.published_at <= Date.now(), "stamped when published");
  } finally {
    await ws.close();
  }
});

Deno.test("/api/ws/prices: every zone, ?zones=, subscribe replaces the default, unsubscribe", opts, async () => {
  const all = await WsProbe.open(`${srv.ws}/api/ws/prices`, bearer(viewer.tokens.access_token));
  const some = await WsProbe.open(`${srv.ws}/api/ws/prices?zones=ercot,SPP`, adminAuth);
  try {
    assert.equal((await all.next("welcome")).zones.length, 7);
    assert.deepEqual((await some.next("welcome")).zones, ["ERCOT", "SPP"]);
    await all.next("snapshot");
    await some.next("snapshot");

    all.send({ type: "subscribe", zones: ["MISO"] });
    assert.deepEqual((await all.next("subscribed")).zones, ["MISO"]);
    assert.deepEqual((await all.next("snapshot")).zones, ["MISO"]);
    all.send({ type: "subscribe", zones: ["NYISO"] });
    assert.deepEqual((await all.next("subscribed")).zones, ["NYISO", "MISO"]);
    all.send({ type: "unsubscribe", zones: ["MISO"] });
    assert.deepEqual((await all.next("subscribed")).zones, ["NYISO"]);

    const ticks = [freshTick("MISO", 1), freshTick("NYISO", 2), freshTick("SPP", 3), freshTick("ERCOT", 4)];
    t.services.realtime.publishPrices(ticks);
    assert.deepEqual(ticksOf(await all.next("prices")).map((x) => x.zone), ["NYISO"]);
    assert.deepEqual(ticksOf(await some.next("prices")).map((x) => x.zone).sort(), ["ERCOT", "SPP"]);
  } finally {
    await all.close();
    await some.close();
  }
});

Deno.test("bad frames and unknown zones get error frames; the connection keeps working", opts, async () => {
  const ws = await WsProbe.open(`${srv.ws}/api/ws/prices`, adminAuth);
  try {
    await ws.next("snapshot");
    const cases: [unknown, string][] = [
      ["{oops", "invalid_json"],
      [{ type: "subscribe" }, "invalid_message"],
      [{ type: "launch", zones: ["PJM"] }, "invalid_message"],
      [{ type: "subscribe", zones: ["PJM", "NARNIA"] }, "unknown_zone"],
      ["[" + "1,".repeat(3000) + "1]", "message_too_large"],
    ];
    for (const [frame, code] of cases) {
      ws.send(frame);
      const err = await ws.next("error");
      assert.equal(err.code, code, JSON.stringify(frame).slice(0, 80));
      assert.ok(err.message.length > 0);
    }
    ws.send({ type: "ping", id: "after-errors" });
    assert.equal((await ws.next("pong")).id, "after-errors");
  } finally {
    await ws.close();
  }
});

Deno.test("an unknown zone in the URL: an error frame, then close 4404", opts, async () => {
  for (const path of ["/api/ws/market/ATLANTIS", "/api/ws/prices?zones=PJM,ATLANTIS"]) {
    const ws = await WsProbe.open(`${srv.ws}${path}`, adminAuth);
    const err = await ws.next("error");
    assert.equal(err.code, "unknown_zone");
    assert.deepEqual(err.details, { unknown: ["ATLANTIS"] });
    const closed = await ws.closed;
    assert.equal(closed.code, 4404);
    assert.ok(!ws.frames.some((f) => f.type === "welcome"));
  }
});

Deno.test("cookie sessions stream from the app's own pages; another origin gets 403", opts, async () => {
  const cookie = { cookie: `ob_at=${viewer.tokens.access_token}` };
  const ws = await WsProbe.open(`${srv.ws}/api/ws/market/PJM`, { ...cookie, origin: srv.url });
  assert.equal((await ws.next("welcome")).zones[0], "PJM");
  await ws.close();
  const noOrigin = await WsProbe.open(`${srv.ws}/api/ws/market/PJM`, cookie);
  await noOrigin.next("welcome");
  await noOrigin.close();

  const r = await rawHandshake(srv.port, "/api/ws/market/PJM", { ...cookie, origin: "https://evil.example" });
  r.conn.close();
  assert.equal(r.status, 403);
  // A Bearer token cannot be sent by another site's page, so no Origin check is needed for it.
  const script = await rawHandshake(srv.port, "/api/ws/market/PJM", { ...adminAuth, origin: "https://tool.example" });
  script.conn.close();
  assert.equal(script.status, 101);
});

Deno.test("API keys stream too (scripts)", opts, async () => {
  const created = await call(t, "POST", "/api/api-keys", {
    token: org.admin.tokens.access_token,
    body: { name: "ws script", role: "viewer" },
  });
  expectStatus(created, 201, "create key");
  const ws = await WsProbe.open(`${srv.ws}/api/ws/market/ERCOT`, bearer(created.body.key));
  assert.deepEqual((await ws.next("welcome")).zones, ["ERCOT"]);
  await ws.close();
});

Deno.test("the 101 passes every header-setting middleware untouched; pages keep their headers", opts, async () => {
  // Cookie auth with a refresh cookie exercises the Set-Cookie path of routes/_middleware.ts as well.
  const cookie = `ob_at=${viewer.tokens.access_token}; ob_rt=${viewer.tokens.refresh_token}`;
  const r = await rawHandshake(srv.port, "/api/ws/prices", { cookie, origin: srv.url, "x-request-id": "abc" });
  try {
    assert.equal(r.status, 101);
    assert.equal(r.headers.get("upgrade")?.toLowerCase(), "websocket");
    for (const h of ["content-security-policy", "x-request-id", "set-cookie", "x-frame-options"]) {
      assert.equal(r.headers.get(h), null, `${h} on a 101`);
    }
  } finally {
    r.conn.close();
  }
  const page = await fetch(`${srv.url}/login`);
  await page.body?.cancel();
  assert.ok(page.headers.get("content-security-policy"));
  assert.ok(page.headers.get("x-request-id"));
  // An Upgrade header does not strip a page's headers.
  const sneaky = await fetch(`${srv.url}/login`, { headers: { upgrade: "websocket" } });
  await sneaky.body?.cancel();
  assert.ok(sneaky.headers.get("content-security-policy"));
});

Deno.test("stats and broadcasts: admins only; 401 without credentials", opts, async () => {
  const viewerToken = viewer.tokens.access_token;
  expectError(await call(t, "GET", "/api/ws/stats", {}), 401, "unauthenticated");
  expectError(await call(t, "GET", "/api/ws/stats", { token: viewerToken }), 403, "forbidden");
  const alert = { level: "info", title: "Hi", message: "there" };
  expectError(await call(t, "POST", "/api/ws/broadcast/alert", { token: viewerToken, body: alert }), 403, "forbidden");
  expectError(
    await call(t, "POST", "/api/ws/broadcast/price", { token: viewerToken, body: { ticks: [freshTick("PJM", 1)] } }),
    403,
    "forbidden",
  );
  expectError(await call(t, "POST", "/api/ws/broadcast/alert", { body: alert }), 401, "unauthenticated");
  const bad = await call(t, "POST", "/api/ws/broadcast/alert", {
    token: org.admin.tokens.access_token,
    body: { level: "panic", title: "", message: "x" },
  });
  expectError(bad, 400, "validation_failed");
});

Deno.test("admin broadcasts reach every client of the admin's organization, and no other", opts, async () => {
  const mine = await WsProbe.open(`${srv.ws}/api/ws/prices`, bearer(viewer.tokens.access_token));
  const theirs = await WsProbe.open(`${srv.ws}/api/ws/prices`, bearer(other.admin.tokens.access_token));
  try {
    await mine.next("snapshot");
    await theirs.next("snapshot");
    const tick = freshTick("SPP", 123.45);
    const p = await call(t, "POST", "/api/ws/broadcast/price", {
      token: org.admin.tokens.access_token,
      body: { ticks: [tick] },
    });
    expectStatus(p, 202, "broadcast price");
    assert.deepEqual(p.body, { accepted: 1 });
    const a = await call(t, "POST", "/api/ws/broadcast/alert", {
      token: org.admin.tokens.access_token,
      body: { level: "critical", title: "Market halt", message: "PJM RT suspended" },
    });
    expectStatus(a, 202, "broadcast alert");

    const prices = await mine.next("prices");
    assert.equal(prices.source, "admin");
    assert.deepEqual(ticksOf(prices), [tick]);
    const alert = await mine.next("alert");
    assert.deepEqual([alert.id, alert.level, alert.title, alert.source], [
      a.body.id,
      "critical",
      "Market halt",
      "admin",
    ]);
    assert.deepEqual(await theirs.collect("alert", 100), []);
    assert.ok(!theirs.frames.some((f) => f.type === "prices" && f.source === "admin"));
    assert.ok(!t.services.realtime.lastSeen(["SPP"]).some((x) => x.lmp === 123.45), "not in snapshots");
  } finally {
    await mine.close();
    await theirs.close();
  }
});

Deno.test("stats: an org admin sees their organization's figures, the operator the instance's", opts, async () => {
  const reg = await call(t, "POST", "/api/auth/register", {
    body: { email: OPERATOR, password: GOOD_PASSWORD, name: "Op Erator", organization_name: "Operations" },
  });
  expectStatus(reg, 201, "operator registers");
  const operatorToken = (reg.body as TokenPair).access_token;
  const stats = async (token: string) => {
    const r = await call(t, "GET", "/api/ws/stats", { token });
    expectStatus(r, 200, "stats");
    return r.body;
  };
  const before = await stats(org.admin.tokens.access_token);
  const beforeInstance = await stats(operatorToken);
  const otherBefore = await stats(other.admin.tokens.access_token);
  const a = await WsProbe.open(`${srv.ws}/api/ws/market/NYISO`, adminAuth);
  const b = await WsProbe.open(`${srv.ws}/api/ws/prices?zones=NYISO,MISO`, adminAuth);
  try {
    await a.next("snapshot");
    await b.next("snapshot");
    t.services.realtime.publishPrices([freshTick("NYISO", 7), freshTick("NYISO", 8)]);
    await a.next("prices");
    await b.next("prices");

    const s = await stats(org.admin.tokens.access_token);
    assert.equal(s.scope, "organization");
    assert.equal(s.organization_id, org.id);
    assert.equal(s.connections, before.connections + 2);
    assert.equal(s.subscriptions.NYISO, before.subscriptions.NYISO + 2);
    assert.equal(s.subscriptions.MISO, before.subscriptions.MISO + 1);
    assert.equal(s.frames_sent, before.frames_sent + 2, "one frame per client for both ticks");
    assert.equal(s.ticks_delivered, before.ticks_delivered + 4);
    for (const key of ["ticks_published", "bus", "alerts_published", "flushes"]) {
      assert.ok(!(key in s), `no instance-wide ${key} for an organization's admin`);
    }

    // Another organization's admin sees none of it.
    const o = await stats(other.admin.tokens.access_token);
    assert.equal(o.scope, "organization");
    assert.equal(o.connections, otherBefore.connections);
    assert.equal(o.frames_sent, otherBefore.frames_sent);

    // The operator sees the instance: every organization's connections and the bus.
    const i = await stats(operatorToken);
    assert.equal(i.scope, "instance");
    assert.equal(i.connections, beforeInstance.connections + 2);
    assert.equal(i.ticks_published, beforeInstance.ticks_published + 2);
    assert.equal(i.bus.kind, "none");
  } finally {
    await a.close();
    await b.close();
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(t.services.realtime.stats().connections, beforeInstance.connections, "closed connections are dropped");
});
