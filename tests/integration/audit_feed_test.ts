/**
 * The live activity feed's push (/api/ws/audit): a committed audit entry of organization A tells A's
 * connections opened with `audit:read` (its admins), on this instance and, over the Redis bus, on the
 * others; never B's admins, never A's other members (refused at the handshake), never A's other sockets
 * (the bell's). The notice carries no entry: the feed reads it from the audit API. Rolled back, nothing.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { audit, onAuditWritten } from "../../services/auth/audit.ts";
import { createRedisBus } from "../../services/realtime/bus.ts";
import { RealtimeHub } from "../../services/realtime/hub.ts";
import type { ServerMessage } from "../../services/realtime/protocol.ts";
import { addMember, call, createOrg, expectStatus, opts } from "../helpers/auth.ts";
import { serviceTest, testServices } from "../helpers/services.ts";
import { testApp } from "../helpers/test_app.ts";
import { hubClient, rawHandshake, serve, waitFor, WsProbe } from "../helpers/ws.ts";

Deno.test("audit feed: an entry of org A reaches A's admins' audit sockets, and nobody else's", opts, async () => {
  const t = await testApp();
  const srv = serve(t.app);
  const probes: WsProbe[] = [];
  const open = async (path: string, token: string) => {
    const p = await WsProbe.open(`${srv.ws}${path}`, { authorization: `Bearer ${token}` });
    probes.push(p);
    await p.next("welcome");
    return p;
  };
  try {
    const a = await createOrg(t, "feed-a");
    const b = await createOrg(t, "feed-b");
    const [trader, viewer] = [await addMember(t, a, "trader"), await addMember(t, a, "viewer")];
    // Members without audit:read are refused the feed at the handshake.
    for (const m of [trader, viewer]) {
      const hs = await rawHandshake(srv.port, "/api/ws/audit", { Authorization: `Bearer ${m.tokens.access_token}` });
      hs.conn.close();
      assert.equal(hs.status, 403, `${m.role} may not open the audit feed`);
    }
    const aFeed = await open("/api/ws/audit", a.admin.tokens.access_token);
    const aFeed2 = await open("/api/ws/audit", a.admin.tokens.access_token);
    const aBell = await open("/api/ws/notifications", a.admin.tokens.access_token);
    const traderBell = await open("/api/ws/notifications", trader.tokens.access_token);
    const bFeed = await open("/api/ws/audit", b.admin.tokens.access_token);
    // Whatever the set-up itself wrote has gone out before the action of the test.
    await new Promise((r) => setTimeout(r, 300));
    for (const p of probes) p.frames.length = 0;

    const newest = (await call(t, "GET", "/api/admin/audit-logs?limit=1", { token: a.admin.tokens.access_token }))
      .body.items[0].id as string;
    const key = await call(t, "POST", "/api/api-keys", {
      token: a.admin.tokens.access_token,
      body: { name: "feed probe" },
      ip: a.admin.ip,
    });
    expectStatus(key, 201);
    for (const p of [aFeed, aFeed2]) {
      const notice = await p.next("audit", 5_000);
      assert.ok(!Number.isNaN(Date.parse(notice.at)));
      assert.deepEqual(Object.keys(notice).sort(), ["at", "type"], "a notice, no entry in it");
    }
    // What the feed does on a notice: the entries since its newest.
    const since = await call(t, "GET", `/api/admin/audit-logs?after=${newest}`, { token: a.admin.tokens.access_token });
    expectStatus(since, 200);
    assert.ok(
      since.body.items.some((e: { action: string; target_id: string }) =>
        e.action === "api_key.created" && e.target_id === key.body.api_key.id
      ),
      JSON.stringify(since.body.items),
    );
    for (const [name, p] of [["B's admin", bFeed], ["A's bell", aBell], ["A's trader", traderBell]] as const) {
      assert.deepEqual(await p.collect("audit", 300), [], `${name} hears nothing of A's audit log`);
    }

    // And the other way round: B's entry goes to B's feed only.
    expectStatus(
      await call(t, "POST", "/api/api-keys", { token: b.admin.tokens.access_token, body: { name: "b" } }),
      201,
    );
    await bFeed.next("audit", 5_000);
    assert.deepEqual(await aFeed.collect("audit", 300), [], "A hears nothing of B's");
  } finally {
    for (const p of probes) await p.close().catch(() => {});
    await srv.server.shutdown();
  }
});

Deno.test(
  "audit feed: listeners hear of an entry written in a transaction once it commits, never if rolled back",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "feed-tx");
    const heard: string[] = [];
    const stop = onAuditWritten((orgId) => orgId === org.id && heard.push(orgId));
    try {
      const db = t.services.db();
      await db.transaction(async (tx) => {
        await audit(tx, { orgId: org.id, action: "test.committed" });
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(heard.length, 0, "not before the commit: a reader would not find it yet");
      });
      assert.equal(heard.length, 1, "after the commit");
      await assert.rejects(db.transaction(async (tx) => {
        await audit(tx, { orgId: org.id, action: "test.rolled_back" });
        throw new Error("roll back");
      }));
      assert.equal(heard.length, 1, "a rolled-back entry is never announced");
      await audit(db, { orgId: org.id, action: "test.autocommit" });
      assert.equal(heard.length, 2, "outside a transaction, at once");
    } finally {
      stop();
    }
  },
);

const fakeClient = (hub: RealtimeHub, orgId: string, audit: boolean) => hubClient(hub, { orgId, zones: [], audit });

serviceTest(
  "audit feed: across instances over the Redis bus, coalesced, to the organization's feeds only",
  ["redis"],
  async () => {
    const url = testServices.redis!;
    const channel = `${testServices.redisPrefix}realtime-audit-${crypto.randomUUID().slice(0, 8)}`;
    const publishers = [new Redis(url), new Redis(url)];
    const hubs = ["a", "b"].map((id, i) =>
      new RealtimeHub({
        instanceId: id,
        auditCoalesceMs: 50,
        bus: createRedisBus({ url, channel, instanceId: id, publisher: () => publishers[i], timeoutMs: 2000 }),
      })
    );
    try {
      for (const h of hubs) h.start();
      await waitFor(() => hubs.every((h) => h.stats().bus.connected), 5000, "subscribers connected");
      const feedHere = fakeClient(hubs[0], "org-a", true);
      const feedThere = fakeClient(hubs[1], "org-a", true);
      const memberThere = fakeClient(hubs[1], "org-a", false);
      const otherOrgThere = fakeClient(hubs[1], "org-b", true);
      // A burst (a batch of bids writes an entry per bid) is one notice per window.
      for (let i = 0; i < 20; i++) hubs[0].publishAudit("org-a");
      const audits = (f: ServerMessage[]) => f.filter((m) => m.type === "audit").length;
      await waitFor(() => audits(feedHere) > 0 && audits(feedThere) > 0, 3000, "the notice on both instances");
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(audits(feedHere), 1);
      assert.equal(audits(feedThere), 1);
      assert.equal(audits(memberThere), 0, "a connection without audit:read");
      assert.equal(audits(otherOrgThere), 0, "another organization");
    } finally {
      for (const h of hubs) await h.close();
      for (const p of publishers) p.disconnect();
    }
  },
);
