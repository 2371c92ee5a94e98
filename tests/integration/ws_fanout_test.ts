/**
 * Fan-out across instances over the run's real Redis (its own key prefix):
 * - two hubs in this process, each with its own subscriber connection: what
 *   one publishes reaches the other's clients once, nothing echoes back;
 * - two real app processes on two ports sharing the run's Postgres, JWT
 *   secret and Redis prefix: a token from one streams on the other, and a
 *   broadcast posted to one reaches clients of both;
 * - Redis unreachable: local clients are still served, the bus only counts.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createRedisBus } from "../../services/realtime/bus.ts";
import { RealtimeHub } from "../../services/realtime/hub.ts";
import type { PriceTick } from "../../services/market/types.ts";
import type { ServerMessage } from "../../services/realtime/protocol.ts";
import { freshPostgresUrl, freshRedisPrefix, serviceTest, testServices } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";
import { GOOD_PASSWORD, TEST_JWT_SECRET, uniqueEmail } from "../helpers/test_app.ts";
import { hubClient, waitFor, WsProbe } from "../helpers/ws.ts";
import { ticksOf } from "../../services/realtime/rows.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tick(lmp: number, zone: PriceTick["zone"] = "PJM"): PriceTick {
  return {
    zone,
    market: "RT",
    interval_start: "2030-06-01T12:00:00.000Z",
    interval_end: "2030-06-01T12:05:00.000Z",
    lmp,
    energy: lmp,
    congestion: 0,
    loss: 0,
  };
}

const fakeClient = (hub: RealtimeHub, orgId = "org") => hubClient(hub, { userId: "u", orgId, zones: "all" });

const pricesOf = (frames: ServerMessage[]) => frames.flatMap((f) => f.type === "prices" ? ticksOf(f) : []);

serviceTest("two hubs share prices and alerts through Redis, without echo", ["redis"], async () => {
  const url = testServices.redis!;
  const channel = `${testServices.redisPrefix}realtime-${crypto.randomUUID().slice(0, 8)}`;
  const publishers = [new Redis(url), new Redis(url)];
  const hubs = ["a", "b"].map((id, i) =>
    new RealtimeHub({
      instanceId: id,
      flushMs: 5,
      bus: createRedisBus({ url, channel, instanceId: id, publisher: () => publishers[i], timeoutMs: 2000 }),
    })
  );
  const [a, b] = hubs;
  try {
    for (const h of hubs) h.start();
    await waitFor(() => hubs.every((h) => h.stats().bus.connected), 5000, "subscribers connected");
    const onA = fakeClient(a);
    const onB = fakeClient(b);
    a.publishPrices([tick(31.5)]);
    b.publishAlert({ level: "warning", title: "Congestion", message: "PJM west" });
    await waitFor(() => pricesOf(onB).length === 1 && onA.some((f) => f.type === "alert"), 3000, "delivery");
    await sleep(100); // anything echoed would have arrived by now
    assert.deepEqual(pricesOf(onA).map((t) => t.lmp), [31.5]);
    assert.deepEqual(pricesOf(onB).map((t) => t.lmp), [31.5]);
    assert.equal(onA.filter((f) => f.type === "alert").length, 1);
    assert.equal(onB.filter((f) => f.type === "alert").length, 1);
    assert.deepEqual(b.lastSeen(["PJM"]).map((t) => t.lmp), [31.5], "peers' ticks feed snapshots");
    const [sa, sb] = [a.stats(), b.stats()];
    assert.equal(sa.bus.kind, "redis");
    assert.deepEqual([sa.bus.published, sa.bus.received], [1, 1], "a sent prices, got b's alert");
    assert.deepEqual([sb.bus.published, sb.bus.received], [1, 1], "b sent the alert only: nothing republished");
    assert.deepEqual([sa.ticks_from_peers, sb.ticks_from_peers], [0, 1]);
  } finally {
    for (const h of hubs) await h.close();
    for (const p of publishers) p.disconnect();
  }
});

Deno.test("Redis unreachable: local clients are served and the bus only counts", async () => {
  // Port 1 refuses connections; the publisher is what the adapter hands out while Redis is down (null),
  // then a client whose commands fail.
  const dead = new Redis("redis://127.0.0.1:1", {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  dead.on("error", () => {});
  let publisher: Redis | null = null;
  const hub = new RealtimeHub({
    flushMs: 5,
    bus: createRedisBus({
      url: "redis://127.0.0.1:1",
      channel: "optibid-test:realtime",
      instanceId: "solo",
      publisher: () => publisher,
      timeoutMs: 200,
    }),
  });
  hub.start();
  try {
    const frames = fakeClient(hub);
    hub.publishPrices([tick(1)]);
    publisher = dead;
    hub.publishPrices([tick(2, "MISO")]);
    hub.publishAlert({ level: "info", title: "Still here", message: "local only" });
    await waitFor(() => pricesOf(frames).length === 2, 2000, "local delivery");
    assert.ok(frames.some((f) => f.type === "alert"));
    await waitFor(() => hub.stats().bus.errors === 2, 2000, "failed publishes counted");
    const s = hub.stats();
    assert.equal(s.bus.connected, false);
    assert.equal(s.bus.skipped, 1);
  } finally {
    await hub.close();
    dead.disconnect();
  }
});

serviceTest(
  "two app instances on two ports share the stream over Redis",
  ["postgres", "redis"],
  async () => {
    // The bus counters are the instance's: the platform operator's view.
    const operator = uniqueEmail("fanout");
    const env = {
      OPERATOR_EMAILS: operator,
      DATABASE_URL: await freshPostgresUrl("fanout", { migrated: true }),
      JWT_SECRET: TEST_JWT_SECRET,
      REDIS_URL: testServices.redis!,
      REDIS_KEY_PREFIX: freshRedisPrefix("fanout"),
      // Only the test's prices: the simulator would stream its own.
      MARKET_SOURCE: "off",
    };
    const apps = await Promise.all([spawnApp(env), spawnApp(env)]);
    const [a, b] = apps;
    const probes: WsProbe[] = [];
    try {
      await Promise.all(apps.map((x) => x.waitReady()));
      const reg = await fetch(`${a.url}/api/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          email: operator,
          password: GOOD_PASSWORD,
          name: "Fan Out",
          organization_name: `Fanout ${Date.now()}`,
        }),
      });
      assert.equal(reg.status, 201, await reg.clone().text());
      const token = (await reg.json()).access_token as string;
      const auth = { authorization: `Bearer ${token}` };
      const stats = async (url: string) => {
        const r = await fetch(`${url}/api/ws/stats`, { headers: auth });
        assert.equal(r.status, 200);
        return await r.json();
      };
      // Each instance subscribed, and its command connection (the one it publishes on) up: a message sent before
      // that is skipped by design, not queued.
      const redisUp = async (url: string) => {
        const h = await (await fetch(`${url}/health`, { headers: auth })).json();
        return h.services.some((x: { name: string; status: string }) => x.name === "redis" && x.status === "available");
      };
      const deadline = Date.now() + 10_000;
      for (;;) {
        const [sa, sb] = [await stats(a.url), await stats(b.url)];
        if (sa.bus.connected && sb.bus.connected && await redisUp(a.url) && await redisUp(b.url)) break;
        if (Date.now() > deadline) throw new Error("the instances' Redis connections did not come up");
        await sleep(100);
      }

      // The token was issued by a; b accepts it (same database and secret).
      const onA = await WsProbe.open(`${a.url.replace("http", "ws")}/api/ws/prices`, auth);
      const onB = await WsProbe.open(`${b.url.replace("http", "ws")}/api/ws/market/ERCOT`, auth);
      probes.push(onA, onB);
      await onA.next("snapshot");
      await onB.next("snapshot");

      const posted = tick(77.7, "ERCOT");
      const p = await fetch(`${a.url}/api/ws/broadcast/price`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ ticks: [posted] }),
      });
      assert.equal(p.status, 202, await p.clone().text());
      const al = await fetch(`${b.url}/api/ws/broadcast/alert`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ level: "info", title: "From b", message: "to everyone in the org" }),
      });
      assert.equal(al.status, 202, await al.clone().text());

      for (const probe of [onA, onB]) {
        assert.deepEqual(ticksOf(await probe.next("prices", 3000)), [posted]);
        assert.equal((await probe.next("alert", 3000)).title, "From b");
      }
      await sleep(200);
      for (const probe of [onA, onB]) {
        assert.equal(probe.frames.filter((f) => f.type === "prices").length, 1, "exactly once: no echo");
        assert.equal(probe.frames.filter((f) => f.type === "alert").length, 1);
      }
      const [sa, sb] = [await stats(a.url), await stats(b.url)];
      assert.notEqual(sa.instance_id, sb.instance_id);
      assert.equal(sa.ticks_published, 1);
      assert.equal(sb.ticks_from_peers, 1);
      assert.equal(sb.ticks_published, 0);
      assert.equal(sa.ticks_from_peers, 0);
    } finally {
      for (const p of probes) await p.close().catch(() => {});
      await Promise.all(apps.map((x) => x.stop()));
    }
  },
  { sanitizeResources: false, sanitizeOps: false },
);
