/**
 * The hub over real sockets, with short intervals injected (the app's are 20 s):
 * heartbeats and closing dead connections, and a client that stops reading
 * (a raw TCP connection after the handshake) — the server's backlog for it
 * stays bounded while a fast client on the same hub gets every window, and
 * when it reads again it gets the latest price per zone+market, coalesced.
 */
import assert from "node:assert/strict";
import { type ConnectionInfo, RealtimeHub } from "../../services/realtime/hub.ts";
import type { PriceTick } from "../../services/market/types.ts";
import type { Iso } from "../../services/market/zones.ts";
import { rawHandshake, readFrames, waitFor, WsProbe } from "../helpers/ws.ts";
import { ticksOf } from "../../services/realtime/rows.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function serveHub(hub: RealtimeHub, info: Partial<ConnectionInfo> = {}) {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    hub.accept(socket, { userId: "u", orgId: "o", zones: "all", ...info });
    return response;
  });
  const port = (server.addr as Deno.NetAddr).port;
  return { server, port, url: `ws://127.0.0.1:${port}/` };
}

function tick(zone: Iso, market: "DA" | "RT", minute: number, lmp: number): PriceTick {
  const start = new Date(Date.UTC(2026, 0, 1, 0, minute));
  return {
    zone,
    market,
    interval_start: start.toISOString(),
    interval_end: new Date(start.getTime() + 300_000).toISOString(),
    lmp,
    energy: lmp,
    congestion: 0,
    loss: 0,
  };
}

Deno.test("heartbeats go out; a client that misses two in a row is closed with 4000, one that answers stays", async () => {
  const hub = new RealtimeHub({ heartbeatMs: 50 });
  hub.start();
  const { server, url } = serveHub(hub);
  const alive = await WsProbe.open(url);
  const dead = await WsProbe.open(url);
  // Only `alive` answers heartbeats.
  alive.ws.addEventListener("message", (ev) => {
    if (JSON.parse(String(ev.data)).type === "heartbeat") alive.send({ type: "pong" });
  });
  try {
    const closed = await Promise.race([dead.closed, sleep(2000).then(() => null)]);
    assert.ok(closed, "the silent client was not closed");
    assert.equal(closed.code, 4000);
    assert.equal(closed.reason, "heartbeat missed");
    assert.ok(dead.frames.filter((f) => f.type === "heartbeat").length >= 2);
    await sleep(200);
    assert.equal(alive.ws.readyState, WebSocket.OPEN);
    assert.ok(alive.frames.filter((f) => f.type === "heartbeat").length >= 4);
    assert.equal(hub.stats().dead_closed, 1);
    assert.equal(hub.stats().connections, 1);
  } finally {
    await hub.close();
    await alive.closed;
    await server.shutdown();
  }
});

Deno.test("a client that stops reading: bounded backlog, others unaffected, coalesced catch-up", async () => {
  const limit = 64 * 1024;
  const hub = new RealtimeHub({ flushMs: 1, maxBufferedBytes: limit });
  const { server, port, url } = serveHub(hub);
  const fast = await WsProbe.open(url);
  const stuck = await rawHandshake(port, "/");
  assert.equal(stuck.status, 101);
  await waitFor(() => hub.stats().connections === 2, 2000, "both connected");

  // Windows of ~500 ticks (~90 KB a frame) until the kernel's socket buffers are full and the hub holds back.
  const zones: Iso[] = ["PJM", "MISO", "ERCOT"];
  let w = 0;
  const publishWindow = () => {
    w++;
    const ticks: PriceTick[] = [];
    for (let m = 0; m < 170; m++) for (const z of zones) ticks.push(tick(z, m % 2 ? "DA" : "RT", m, w));
    hub.publishPrices(ticks);
  };
  let frameBytes = 0;
  while (hub.stats().slow_clients === 0) {
    if (w > 3000) throw new Error("the hub never treated the stuck client as slow");
    publishWindow();
    await sleep(2);
    if (!frameBytes) {
      await fast.next("prices");
      frameBytes = JSON.stringify(fast.frames.at(-1)).length;
    }
  }
  const whenSlow = hub.stats();
  // 200 more windows (~18 MB if it were all queued): the backlog must not grow with them.
  for (let i = 0; i < 200; i++) {
    publishWindow();
    await sleep(2);
  }
  const after = hub.stats();
  assert.equal(after.slow_clients, 1);
  assert.ok(after.frames_deferred >= 150, `deferred ${after.frames_deferred}`);
  assert.ok(
    after.max_buffered_bytes <= limit + 2 * frameBytes,
    `backlog reached ${after.max_buffered_bytes} bytes (limit ${limit}, a frame ${frameBytes})`,
  );
  assert.ok(after.max_buffered_bytes - whenSlow.max_buffered_bytes <= frameBytes, "no growth while stuck");
  await waitFor(() => fast.frames.filter((f) => f.type === "prices").length >= w - 5, 5000, "the fast client");

  // Reading again: everything queued, then one coalesced frame with the newest tick per zone+market.
  const frames = await readFrames(stuck.conn, (fs) => fs.some((f) => f.type === "prices" && f.coalesced), 10_000);
  const catchUp = frames.find((f) => f.type === "prices" && f.coalesced);
  assert.ok(catchUp && catchUp.type === "prices");
  assert.equal(ticksOf(catchUp).length, zones.length * 2, "one tick per zone+market");
  for (const t of ticksOf(catchUp)) {
    assert.equal(t.lmp, w, `${t.zone} ${t.market}: the last window's value`);
    assert.equal(t.interval_start, tick(t.zone, t.market, t.market === "DA" ? 169 : 168, 0).interval_start);
  }
  await waitFor(() => hub.stats().slow_clients === 0, 2000, "caught up");
  stuck.conn.close();
  await fast.close();
  await hub.close();
  await server.shutdown();
});
