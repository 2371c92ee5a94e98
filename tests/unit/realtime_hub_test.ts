/**
 * The realtime hub (services/realtime/hub.ts) with fake sockets whose backlog
 * the test sets: one frame per flush window, shared frames, slow clients held
 * to the latest tick per zone+market, bounded buffering, heartbeats, snapshots
 * from the cache and from memory, tenant-scoped admin messages, and the bus
 * (two hubs on an in-process BroadcastChannel) without echo.
 */
import assert from "node:assert/strict";
import { createBroadcastChannelBus } from "../../services/realtime/bus.ts";
import { type HubSocket, RealtimeHub } from "../../services/realtime/hub.ts";
import type { PriceTick } from "../../services/market/types.ts";
import type { Iso } from "../../services/market/zones.ts";
import type { ServerMessage } from "../../services/realtime/protocol.ts";
import { ticksOf } from "../../services/realtime/rows.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class FakeSocket implements HubSocket {
  readyState = 1;
  bufferedAmount = 0;
  /** When set, every send adds its size to the backlog (a peer that never reads). */
  growOnSend = false;
  frames: ServerMessage[] = [];
  closed: { code?: number; reason?: string } | null = null;
  onopen: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  send(data: string) {
    this.frames.push(JSON.parse(data));
    if (this.growOnSend) this.bufferedAmount += data.length;
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
    this.readyState = 3;
    this.onclose?.(new CloseEvent("close", { code }));
  }
  fromClient(msg: unknown) {
    this.onmessage?.(new MessageEvent("message", { data: typeof msg === "string" ? msg : JSON.stringify(msg) }));
  }
  of<T extends ServerMessage["type"]>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.frames.filter((f) => f.type === type) as Extract<ServerMessage, { type: T }>[];
  }
}

function tick(zone: Iso, lmp: number, minute = 0, market: "DA" | "RT" = "RT"): PriceTick {
  const start = new Date(Date.UTC(2026, 0, 1, 0, minute));
  return {
    zone,
    market,
    interval_start: start.toISOString(),
    interval_end: new Date(start.getTime() + 300_000).toISOString(),
    lmp,
    energy: lmp - 2,
    congestion: 1,
    loss: 1,
  };
}

function connect(hub: RealtimeHub, zones: Iso[] | "all" = "all", orgId = "org-a"): FakeSocket {
  const s = new FakeSocket();
  hub.accept(s, { userId: "u", orgId, zones });
  return s;
}

Deno.test("welcome first, then a snapshot from what the hub has seen", async () => {
  const hub = new RealtimeHub({ flushMs: 5 });
  hub.publishPrices([tick("PJM", 30, 5), tick("PJM", 29, 0), tick("PJM", 40, 0, "DA"), tick("ERCOT", 20)]);
  const s = connect(hub, ["PJM"]);
  assert.equal(s.frames[0].type, "welcome");
  await sleep(1);
  const [snap] = s.of("snapshot");
  assert.deepEqual(snap.zones, ["PJM"]);
  assert.deepEqual(snap.ticks.map((t) => `${t.market}:${t.lmp}`), ["DA:40", "RT:30"], "newest interval per market");
  await hub.close();
});

Deno.test("ticks of one window reach a client as one frame; a repeated interval is replaced", async () => {
  const hub = new RealtimeHub({ flushMs: 20 });
  const s = connect(hub);
  await sleep(1);
  s.frames = [];
  for (let i = 0; i < 100; i++) hub.publishPrices([tick("PJM", i, i % 10), tick("MISO", i, 0)]);
  await sleep(60);
  const frames = s.of("prices");
  assert.equal(frames.length, 1);
  assert.equal(ticksOf(frames[0]).length, 11, "10 PJM intervals and 1 MISO interval");
  assert.equal(ticksOf(frames[0]).find((t) => t.zone === "MISO")!.lmp, 99, "the last value of an interval wins");
  const st = hub.stats();
  assert.equal(st.frames_sent, 1);
  assert.equal(st.ticks_delivered, 11);
  assert.equal(st.ticks_coalesced, 200 - 11);
  await hub.close();
});

Deno.test("a tick after a quiet spell goes at once; ticks that follow wait for the window after it", async () => {
  const hub = new RealtimeHub({ flushMs: 300 });
  const s = connect(hub);
  await sleep(1);
  s.frames = [];
  const t0 = performance.now();
  hub.publishPrices([tick("PJM", 1, 0)]);
  hub.publishPrices([tick("PJM", 2, 5)]); // the same task: the same frame
  while (!s.of("prices").length && performance.now() - t0 < 250) await sleep(2);
  assert.equal(s.of("prices").length, 1, "sent before a window passed");
  assert.deepEqual(ticksOf(s.of("prices")[0]).map((t) => t.lmp), [1, 2]);
  // Now a steady flow: at most one frame per window, the next one a window after the last began.
  for (const lmp of [3, 4, 5]) {
    hub.publishPrices([tick("PJM", lmp, lmp * 5)]);
    await sleep(20);
  }
  assert.equal(s.of("prices").length, 1, "nothing more within the window");
  while (s.of("prices").length < 2 && performance.now() - t0 < 2_000) await sleep(5);
  assert.ok(performance.now() - t0 >= 290, "the second frame waited for the window");
  assert.deepEqual(ticksOf(s.of("prices")[1]).map((t) => t.lmp), [3, 4, 5]);
  await hub.close();
});

Deno.test("a flush larger than one chunk reaches every client, windows in order", async () => {
  const hub = new RealtimeHub({ flushMs: 1 });
  const clients = Array.from({ length: 700 }, () => connect(hub, ["PJM"]));
  await sleep(5);
  for (let w = 0; w < 40; w++) {
    hub.publishPrices([tick("PJM", w, w)]);
    await sleep(w % 3); // some windows are published while a flush is still going
  }
  await sleep(100);
  for (const c of clients) {
    const lmps = c.of("prices").flatMap((f) => ticksOf(f).map((t) => t.lmp));
    assert.deepEqual(lmps, Array.from({ length: 40 }, (_, i) => i));
  }
  await hub.close();
});

Deno.test("each client gets only its zones; subscribe and unsubscribe change that", async () => {
  const hub = new RealtimeHub({ flushMs: 5 });
  const all = connect(hub);
  const pjm = connect(hub, ["PJM"]);
  await sleep(1);
  hub.publishPrices([tick("PJM", 1), tick("ERCOT", 2)]);
  await sleep(20);
  assert.deepEqual(all.of("prices").flatMap((f) => ticksOf(f).map((t) => t.zone)), ["PJM", "ERCOT"]);
  assert.deepEqual(pjm.of("prices").flatMap((f) => ticksOf(f).map((t) => t.zone)), ["PJM"]);

  // On the every-zone default, the first subscribe replaces it.
  all.fromClient({ type: "subscribe", zones: ["ercot"] });
  assert.deepEqual(all.of("subscribed").at(-1), { type: "subscribed", zones: ["ERCOT"] });
  pjm.fromClient({ type: "subscribe", zones: ["ISO-NE"] });
  assert.deepEqual(pjm.of("subscribed").at(-1), { type: "subscribed", zones: ["PJM", "ISONE"] });
  pjm.fromClient({ type: "unsubscribe", zones: ["PJM"] });
  assert.deepEqual(pjm.of("subscribed").at(-1), { type: "subscribed", zones: ["ISONE"] });
  await sleep(1);
  assert.deepEqual(pjm.of("snapshot").at(-1)?.zones, ["ISONE"], "a subscribe is followed by its snapshot");
  all.frames = [];
  pjm.frames = [];
  hub.publishPrices([tick("PJM", 3), tick("ERCOT", 4), tick("ISONE", 5)]);
  await sleep(20);
  assert.deepEqual(all.of("prices").flatMap((f) => ticksOf(f).map((t) => t.zone)), ["ERCOT"]);
  assert.deepEqual(pjm.of("prices").flatMap((f) => ticksOf(f).map((t) => t.zone)), ["ISONE"]);
  assert.deepEqual(hub.stats().subscriptions, { PJM: 0, CAISO: 0, ERCOT: 1, NYISO: 0, MISO: 0, SPP: 0, ISONE: 1 });
  await hub.close();
});

Deno.test("bad frames get error frames and the connection keeps working", () => {
  const hub = new RealtimeHub();
  const s = connect(hub);
  s.frames = [];
  s.fromClient("not json");
  s.fromClient({ type: "dance" });
  s.fromClient({ type: "subscribe", zones: [] });
  s.fromClient({ type: "subscribe", zones: ["PJM"], extra: 1 });
  s.fromClient({ type: "subscribe", zones: ["PJM", "ATLANTIS"] });
  s.fromClient("x".repeat(5000));
  s.onmessage?.(new MessageEvent("message", { data: new Uint8Array([1, 2]) }));
  s.fromClient({ type: "ping", id: 7 });
  const codes = s.frames.map((f) => f.type === "error" ? f.code : f.type);
  assert.deepEqual(codes, [
    "invalid_json",
    "invalid_message",
    "invalid_message",
    "invalid_message",
    "unknown_zone",
    "message_too_large",
    "invalid_message",
    "pong",
  ]);
  const unknown = s.frames[4] as Extract<ServerMessage, { type: "error" }>;
  assert.deepEqual((unknown.details as { unknown: string[] }).unknown, ["ATLANTIS"]);
  assert.deepEqual(s.frames.at(-1), { type: "pong", ts: (s.frames.at(-1) as { ts: number }).ts, id: 7 });
  assert.equal(hub.stats().subscriptions.PJM, 1, "a rejected subscribe changes nothing");
  hub.close();
});

Deno.test("a client flooding the hub is told once and then ignored until its window passes", () => {
  const hub = new RealtimeHub();
  const s = connect(hub, ["PJM"]);
  s.frames = [];
  for (let i = 0; i < 80; i++) s.fromClient({ type: "ping", id: i });
  assert.equal(s.of("pong").length, 50);
  const errors = s.of("error");
  assert.deepEqual(errors.map((e) => e.code), ["rate_limited"]);
  hub.close();
});

Deno.test("a slow client is skipped, then gets the latest tick per zone+market in one coalesced frame", async () => {
  const hub = new RealtimeHub({ flushMs: 5, maxBufferedBytes: 1000 });
  const fast = connect(hub);
  const slow = connect(hub);
  await sleep(1);
  fast.frames = [];
  slow.frames = [];
  slow.bufferedAmount = 5000;
  for (let w = 0; w < 10; w++) {
    hub.publishPrices([tick("PJM", w, w), tick("PJM", 100 + w, 0, "DA"), tick("SPP", 200 + w, w)]);
    await sleep(12);
  }
  assert.equal(slow.of("prices").length, 0);
  assert.ok(fast.of("prices").length >= 5);
  let st = hub.stats();
  assert.equal(st.slow_clients, 1);
  assert.ok(st.frames_deferred >= 5, `deferred ${st.frames_deferred}`);

  slow.bufferedAmount = 0; // drained
  await sleep(80); // the hub looks again at slow clients even without new ticks
  const frames = slow.of("prices");
  assert.equal(frames.length, 1);
  assert.equal(frames[0].coalesced, true);
  assert.deepEqual(ticksOf(frames[0]).map((t) => `${t.zone}:${t.market}:${t.lmp}`).sort(), [
    "PJM:DA:109",
    "PJM:RT:9",
    "SPP:RT:209",
  ]);
  st = hub.stats();
  assert.equal(st.slow_clients, 0);
  await hub.close();
});

Deno.test("a peer that never reads costs at most about the backlog limit", async () => {
  const limit = 4096;
  const hub = new RealtimeHub({ flushMs: 1, maxBufferedBytes: limit });
  const stuck = connect(hub);
  stuck.growOnSend = true;
  await sleep(1);
  for (let w = 0; w < 200; w++) {
    hub.publishPrices(Array.from({ length: 14 }, (_, i) => tick((["PJM", "MISO"] as Iso[])[i % 2], w, i)));
    if (w % 20 === 0) stuck.fromClient("bad frame"); // error replies are bounded too
    await sleep(2);
  }
  const st = hub.stats();
  const biggest = Math.max(...stuck.frames.map((f) => JSON.stringify(f).length));
  assert.ok(stuck.bufferedAmount <= limit * 4 + biggest, `backlog ${stuck.bufferedAmount}`);
  assert.ok(stuck.of("prices").length < 20, `sent ${stuck.of("prices").length} frames to a stuck peer`);
  assert.ok(st.frames_deferred > 100);
  assert.equal(st.slow_clients, 1);
  await hub.close();
});

Deno.test("heartbeats: a client that answers stays, one that misses two in a row is closed", async () => {
  const hub = new RealtimeHub({ heartbeatMs: 30 });
  hub.start();
  const alive = connect(hub);
  const dead = connect(hub);
  const timer = setInterval(() => alive.fromClient({ type: "pong" }), 10);
  try {
    await sleep(140);
    assert.deepEqual(dead.closed, { code: 4000, reason: "heartbeat missed" });
    assert.equal(alive.closed, null);
    assert.ok(alive.of("heartbeat").length >= 3);
    const st = hub.stats();
    assert.equal(st.dead_closed, 1);
    assert.equal(st.connections, 1);
  } finally {
    clearInterval(timer);
    await hub.close();
  }
  assert.deepEqual(alive.closed, { code: 1001, reason: "server shutting down" });
});

Deno.test("snapshots ask the cache only for zones not seen, and keep the newer of the two", async () => {
  const asked: Iso[][] = [];
  const hub = new RealtimeHub({
    latest: (zones) => {
      asked.push(zones);
      return Promise.resolve([tick("PJM", 11, 0), tick("PJM", 12, 0, "DA"), tick("MISO", 13, 0), tick("SPP", 99, 0)]);
    },
  });
  hub.publishPrices([tick("PJM", 21, 5)]); // newer RT than the cache's; no DA seen
  hub.publishPrices([tick("ERCOT", 30), tick("ERCOT", 31, 0, "DA")]);
  const s = connect(hub, ["PJM", "ERCOT", "MISO"]);
  await sleep(5);
  assert.deepEqual(asked, [["PJM", "MISO"]], "ERCOT has both markets in memory");
  const [snap] = s.of("snapshot");
  assert.deepEqual(snap.ticks.map((t) => `${t.zone}:${t.market}:${t.lmp}`), [
    "PJM:DA:12",
    "PJM:RT:21",
    "ERCOT:DA:31",
    "ERCOT:RT:30",
    "MISO:RT:13",
  ]);
  await hub.close();
});

Deno.test("connections opening together share one read of the latest prices; a failed one is not kept", async () => {
  let reads = 0;
  let fail = true;
  const hub = new RealtimeHub({
    snapshotShareMs: 40,
    latest: async () => {
      reads++;
      await sleep(5);
      if (fail) throw new Error("cache down");
      return [tick("PJM", 11, reads)];
    },
  });
  // A burst whose read fails: each still gets a snapshot (empty), and the failure is not served again.
  const failed = Array.from({ length: 20 }, () => connect(hub, ["PJM"]));
  await sleep(15);
  assert.equal(reads, 1);
  for (const s of failed) assert.deepEqual(s.of("snapshot")[0].ticks, []);
  fail = false;
  // The next burst reads again, once for all of it.
  const burst = Array.from({ length: 50 }, () => connect(hub, ["PJM"]));
  await sleep(15);
  assert.equal(reads, 2, "one read for the 50 connections");
  for (const s of burst) assert.deepEqual(s.of("snapshot")[0].ticks.map((t) => t.lmp), [11]);
  // Other zones are another read; and once the share has passed, a connection reads afresh.
  connect(hub, ["MISO"]);
  await sleep(50);
  assert.equal(reads, 3);
  const later = connect(hub, ["PJM"]);
  await sleep(15);
  assert.equal(reads, 4);
  assert.equal(later.of("snapshot")[0].ticks[0].interval_start, tick("PJM", 11, 4).interval_start);
  await hub.close();
});

Deno.test("a failing or hanging cache still gives a snapshot of what the hub knows", async () => {
  const hub = new RealtimeHub({ snapshotTimeoutMs: 20, latest: () => new Promise(() => {}) });
  hub.publishPrices([tick("PJM", 1)]);
  const s = connect(hub, ["PJM"]);
  await sleep(50);
  assert.deepEqual(s.of("snapshot")[0].ticks.map((t) => t.lmp), [1]);
  const hub2 = new RealtimeHub({ latest: () => Promise.reject(new Error("cache down")) });
  const s2 = connect(hub2, ["PJM"]);
  await sleep(5);
  assert.deepEqual(s2.of("snapshot")[0].ticks, []);
  await hub.close();
  await hub2.close();
});

Deno.test("admin prices and alerts stay inside their organization and out of snapshots", async () => {
  const hub = new RealtimeHub({ flushMs: 5 });
  const mine = connect(hub, "all", "org-a");
  const theirs = connect(hub, "all", "org-b");
  await sleep(1);
  hub.publishPrices([tick("PJM", 500)], { orgId: "org-a" });
  hub.publishAlert({ level: "warning", title: "Drill", message: "Only for org A" }, {
    orgId: "org-a",
    source: "admin",
  });
  hub.publishAlert({ level: "critical", title: "Everyone", message: "System-wide" });
  await sleep(20);
  assert.deepEqual(mine.of("prices").map((f) => [f.source, ticksOf(f)[0].lmp]), [["admin", 500]]);
  assert.equal(theirs.of("prices").length, 0);
  assert.deepEqual(mine.of("alert").map((a) => a.title), ["Drill", "Everyone"]);
  assert.deepEqual(theirs.of("alert").map((a) => a.title), ["Everyone"]);
  assert.deepEqual(hub.lastSeen(), [], "admin prices are not market data of record");
  await hub.close();
});

Deno.test("a slow client ends on the last admin price too: held apart, sent marked admin on catch-up", async () => {
  const hub = new RealtimeHub({ flushMs: 5, maxBufferedBytes: 1000 });
  const slow = connect(hub, "all", "org-a");
  await sleep(1);
  slow.frames = [];
  slow.bufferedAmount = 5000;
  hub.publishPrices([tick("PJM", 40, 0)]);
  for (const lmp of [500, 600]) {
    hub.publishPrices([tick("PJM", lmp, 5)], { orgId: "org-a" });
    await sleep(12);
  }
  assert.equal(slow.of("prices").length, 0);
  slow.bufferedAmount = 0;
  await sleep(80);
  const frames = slow.of("prices");
  assert.deepEqual(frames.map((f) => [f.source ?? "market", f.coalesced, ticksOf(f).map((t) => t.lmp)]), [
    ["market", true, [40]],
    ["admin", true, [600]],
  ]);
  assert.deepEqual(hub.lastSeen().map((t) => t.lmp), [40], "admin prices are still not market data of record");
  await hub.close();
});

Deno.test("two hubs on a bus: what one publishes reaches the other's clients once, with no echo", async () => {
  const name = `optibid-test-${crypto.randomUUID()}`;
  const a = new RealtimeHub({ instanceId: "a", flushMs: 5, bus: createBroadcastChannelBus({ name, instanceId: "a" }) });
  const b = new RealtimeHub({ instanceId: "b", flushMs: 5, bus: createBroadcastChannelBus({ name, instanceId: "b" }) });
  a.start();
  b.start();
  try {
    const onA = connect(a);
    const onB = connect(b);
    await sleep(1);
    a.publishPrices([tick("NYISO", 42)]);
    b.publishAlert({ level: "info", title: "Hello", message: "from b" });
    await sleep(40);
    for (const s of [onA, onB]) {
      assert.deepEqual(s.of("prices").flatMap((f) => ticksOf(f).map((t) => t.lmp)), [42]);
      assert.deepEqual(s.of("alert").map((x) => x.title), ["Hello"]);
    }
    assert.deepEqual(b.lastSeen(["NYISO"]).map((t) => t.lmp), [42], "peer ticks feed snapshots too");
    const [sa, sb] = [a.stats(), b.stats()];
    assert.equal(sa.bus.published, 1);
    assert.equal(sb.bus.published, 1, "b published its alert only; it did not republish a's prices");
    assert.equal(sb.ticks_from_peers, 1);
    assert.equal(sa.ticks_from_peers, 0);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("two hubs on a bus count an organization's connections on both (the WebSocket quota's count)", async () => {
  const name = `optibid-test-${crypto.randomUUID()}`;
  const hub = (id: string) =>
    new RealtimeHub({
      instanceId: id,
      flushMs: 5,
      censusMs: 20,
      bus: createBroadcastChannelBus({ name, instanceId: id }),
    });
  const a = hub("a"), b = hub("b");
  a.start();
  b.start();
  try {
    for (let i = 0; i < 3; i++) connect(a, "all", "org-a");
    connect(b, "all", "org-a");
    connect(b, "all", "org-b");
    await sleep(120);
    assert.equal(a.connectionsOf("org-a"), 3, "this instance's own count stays exact");
    assert.equal(a.clusterConnectionsOf("org-a"), 4);
    assert.equal(b.clusterConnectionsOf("org-a"), 4);
    assert.equal(a.clusterConnectionsOf("org-b"), 1);
    // An instance that shuts down says so: the others stop counting its connections at once.
    await b.close();
    await sleep(30);
    assert.equal(a.clusterConnectionsOf("org-a"), 3);
    assert.equal(a.clusterConnectionsOf("org-b"), 0);
  } finally {
    await a.close();
    await b.close();
  }
});
