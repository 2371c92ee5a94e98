/**
 * The browser client (services/realtime/client.ts) against a fake WebSocket,
 * with injected timers and randomness: connection states, full-jitter backoff,
 * the attempt budget and "failed", resubscribing after a reconnect, heartbeats
 * and the dead-server watchdog.
 */
import assert from "node:assert/strict";
import {
  backoffDelay,
  type ClientSocket,
  type ClientTimers,
  connectRealtime,
  type RealtimeClientOptions,
} from "../../services/realtime/client.ts";
import type { PriceTick } from "../../services/market/types.ts";
import type { Iso } from "../../services/market/zones.ts";
import type { ServerMessage } from "../../services/realtime/protocol.ts";
import { PRICE_FIELDS, priceRow, ticksOf } from "../../services/realtime/rows.ts";

class FakeSocket implements ClientSocket {
  sent: unknown[] = [];
  closed: { code?: number; reason?: string } | null = null;
  onopen: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
  }
  // The server's side:
  open() {
    this.onopen?.(new Event("open"));
  }
  receive(msg: ServerMessage) {
    this.onmessage?.(new MessageEvent("message", { data: JSON.stringify(msg) }));
  }
  drop(code = 1006, reason = "") {
    this.onclose?.(new CloseEvent("close", { code, reason }));
  }
}

class FakeTimers implements ClientTimers {
  now = 0;
  #next = 1;
  pending = new Map<number, { at: number; fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number) {
    const id = this.#next++;
    this.pending.set(id, { at: this.now + ms, fn, ms });
    return id;
  }
  clearTimeout(id: unknown) {
    this.pending.delete(id as number);
  }
  /** Runs due timers in time order. */
  advance(ms: number) {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = until;
  }
  delays() {
    return [...this.pending.values()].map((t) => t.ms);
  }
}

function setup(extra: Partial<RealtimeClientOptions> = {}) {
  const sockets: FakeSocket[] = [];
  const timers = new FakeTimers();
  const client = connectRealtime({
    url: "ws://app.test/api/ws/prices",
    timers,
    random: () => 0.5,
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    ...extra,
  });
  const last = () => sockets[sockets.length - 1];
  return { client, sockets, timers, last };
}

const ALL: Iso[] = ["PJM", "CAISO", "ERCOT", "NYISO", "MISO", "SPP", "ISONE"];

function welcome(zones: Iso[] = ALL, heartbeat_ms = 20_000): ServerMessage {
  return {
    type: "welcome",
    connection_id: "c-1",
    instance_id: "i",
    server_time: new Date(0).toISOString(),
    heartbeat_ms,
    zones,
    markets: ["DA", "RT"],
    price_fields: PRICE_FIELDS,
  };
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

Deno.test("connects, takes the welcome, the snapshot and updates into signals", () => {
  const { client, last } = setup();
  assert.equal(client.state.value, "connecting");
  last().open();
  last().receive(welcome());
  assert.equal(client.state.value, "open");
  assert.equal(client.connectionId.value, "c-1");
  assert.deepEqual(client.zones.value, ALL);

  last().receive({ type: "snapshot", zones: ALL, ticks: [tick("PJM", 30, 5), tick("ERCOT", 20, 5)] });
  assert.equal(client.prices.value["PJM|RT"].lmp, 30);
  const before = client.prices.value;
  last().receive({ type: "prices", published_at: 0, rows: [tick("PJM", 31, 10), tick("ERCOT", 19, 0)].map(priceRow) });
  assert.notEqual(client.prices.value, before, "a new object per frame, so signal readers re-render");
  assert.equal(client.prices.value["PJM|RT"].lmp, 31, "a newer interval replaces");
  assert.equal(client.prices.value["ERCOT|RT"].lmp, 20, "an older interval does not");
});

Deno.test("callbacks get prices, snapshots, alerts and server errors; the connection stays open", () => {
  const got: string[] = [];
  const { client, last } = setup({
    onPrices: (ticks, msg) => got.push(`prices:${ticks.length}:${msg.coalesced ?? false}`),
    onSnapshot: (msg) => got.push(`snapshot:${msg.zones.join(",")}`),
    onAlert: (a) => got.push(`alert:${a.title}`),
    onServerError: (e) => got.push(`error:${e.code}`),
    keepAlerts: 2,
  });
  last().open();
  last().receive(welcome());
  last().receive({ type: "snapshot", zones: ["PJM"], ticks: [] });
  last().receive({ type: "prices", published_at: 1, rows: [priceRow(tick("PJM", 1))], coalesced: true });
  for (const title of ["a", "b", "c"]) {
    last().receive({ type: "alert", id: title, level: "info", title, message: "m", at: "" });
  }
  last().receive({ type: "error", code: "unknown_zone", message: "Unknown zone: XX" });
  assert.deepEqual(got, ["snapshot:PJM", "prices:1:true", "alert:a", "alert:b", "alert:c", "error:unknown_zone"]);
  assert.deepEqual(client.alerts.value.map((a) => a.title), ["b", "c"], "only the newest alerts are kept");
  client.dismissAlert("b");
  assert.deepEqual(client.alerts.value.map((a) => a.title), ["c"], "a dismissed alert is gone");
  assert.equal(client.lastError.value, "Unknown zone: XX");
  assert.equal(client.state.value, "open");
});

Deno.test("toasts: the bell's connection keeps only notifications asking for one; others keep the rest", () => {
  const alerts: ServerMessage[] = [
    { type: "alert", id: "outcome", level: "info", title: "outcome", message: "m", at: "" },
    {
      type: "alert",
      id: "t",
      level: "info",
      title: "toast",
      message: "m",
      at: "",
      notification: { id: "1", toast: true },
    },
    {
      type: "alert",
      id: "b",
      level: "info",
      title: "bell",
      message: "m",
      at: "",
      notification: { id: "2", toast: false },
    },
  ];
  for (const bell of [false, true]) {
    const seen: string[] = [];
    const { client, last } = setup({ notificationToasts: bell, onAlert: (a) => seen.push(a.title) });
    last().open();
    last().receive(welcome());
    for (const a of alerts) last().receive(a);
    assert.deepEqual(client.alerts.value.map((a) => a.title), bell ? ["toast"] : ["outcome"]);
    assert.deepEqual(seen, ["outcome", "toast", "bell"], "every alert still reaches onAlert");
  }
});

Deno.test("answers heartbeats with pong", () => {
  const { last } = setup();
  last().open();
  last().receive(welcome());
  last().receive({ type: "heartbeat", ts: 42 });
  assert.deepEqual(last().sent, [{ type: "pong", ts: 42 }]);
});

Deno.test("full-jitter backoff, at most 5 attempts, then failed until reconnect()", () => {
  const { client, sockets, timers, last } = setup({ baseDelayMs: 500, maxDelayMs: 3000 });
  last().drop(1006); // the first connection fails
  const delays: number[] = [];
  for (let attempt = 1; attempt <= 5; attempt++) {
    assert.equal(client.state.value, "reconnecting");
    assert.equal(client.attempt.value, attempt);
    assert.equal(timers.pending.size, 1);
    delays.push(...timers.delays());
    timers.advance(10_000);
    assert.equal(sockets.length, attempt + 1, "one new socket per attempt");
    last().drop(1006);
  }
  // random() = 0.5 of min(3000, 500·2^(n-1)): 250, 500, 1000, 1500 (capped), 1500.
  assert.deepEqual(delays, [250, 500, 1000, 1500, 1500]);
  assert.equal(client.state.value, "failed");
  timers.advance(60_000);
  assert.equal(sockets.length, 6, "no attempts after failed");

  client.reconnect();
  assert.equal(client.state.value, "connecting");
  assert.equal(client.attempt.value, 0);
  assert.equal(sockets.length, 7);
  last().open();
  last().receive(welcome());
  assert.equal(client.state.value, "open");
  assert.equal(client.lastError.value, null);
});

Deno.test("backoffDelay stays within [0, cap) for any attempt and random value", () => {
  for (const r of [0, 0.3, 0.999999]) {
    for (let attempt = 1; attempt < 40; attempt++) {
      const d = backoffDelay(attempt, () => r, 500, 15_000);
      assert.ok(d >= 0 && d < Math.min(15_000, 500 * 2 ** (attempt - 1)), `attempt ${attempt}: ${d}`);
    }
  }
  assert.equal(backoffDelay(3, () => 0, 500, 15_000), 0);
});

Deno.test("a good connection resets the attempt budget", () => {
  const { client, timers, last } = setup();
  last().open();
  last().receive(welcome());
  for (let round = 0; round < 3; round++) {
    last().drop(1001, "server shutting down");
    assert.equal(client.attempt.value, 1);
    timers.advance(10_000);
    last().open();
    last().receive(welcome());
    assert.equal(client.attempt.value, 0);
    assert.equal(client.state.value, "open");
  }
});

Deno.test("after a reconnect it asks for its zones again and takes the new snapshot", () => {
  const { client, timers, last, sockets } = setup({ url: "ws://app.test/api/ws/market/PJM" });
  last().open();
  last().receive(welcome(["PJM"]));
  client.subscribe(["ERCOT"]);
  assert.deepEqual(last().sent, [{ type: "subscribe", zones: ["ERCOT"] }]);
  last().receive({ type: "subscribed", zones: ["PJM", "ERCOT"] });
  last().receive({ type: "snapshot", zones: ["PJM", "ERCOT"], ticks: [tick("PJM", 30), tick("ERCOT", 20)] });

  last().drop(1006);
  timers.advance(10_000);
  assert.equal(sockets.length, 2);
  assert.equal(last().url, "ws://app.test/api/ws/market/PJM");
  last().open();
  last().receive(welcome(["PJM"]));
  assert.deepEqual(last().sent, [{ type: "subscribe", zones: ["ERCOT"] }], "resubscribed on the new connection");
  // The new snapshot replaces what the zone had, even an entry with a newer interval.
  last().receive({ type: "snapshot", zones: ["PJM"], ticks: [tick("PJM", 25, 0, "DA")] });
  assert.equal(client.prices.value["PJM|RT"], undefined);
  assert.equal(client.prices.value["PJM|DA"].lmp, 25);
  assert.equal(client.prices.value["ERCOT|RT"].lmp, 20);
});

Deno.test("on /api/ws/prices the wanted zones go in the URL; unsubscribe prunes prices", () => {
  const { client, timers, last } = setup({ zones: ["PJM", "MISO"] });
  assert.equal(last().url, "ws://app.test/api/ws/prices?zones=PJM,MISO");
  last().open();
  last().receive(welcome(["PJM", "MISO"]));
  assert.deepEqual(last().sent, [], "nothing to reconcile");
  last().receive({ type: "snapshot", zones: ["PJM", "MISO"], ticks: [tick("PJM", 30), tick("MISO", 22)] });
  client.unsubscribe(["MISO"]);
  assert.deepEqual(last().sent, [{ type: "unsubscribe", zones: ["MISO"] }]);
  last().receive({ type: "subscribed", zones: ["PJM"] });
  assert.deepEqual(Object.keys(client.prices.value), ["PJM|RT"]);
  last().drop(1006);
  timers.advance(10_000);
  assert.equal(last().url, "ws://app.test/api/ws/prices?zones=PJM");
});

Deno.test("on /api/ws/prices the first subscribe replaces every zone, as on the server", () => {
  const { client, timers, last } = setup();
  last().open();
  last().receive(welcome());
  client.subscribe(["SPP"]);
  last().drop(1006);
  timers.advance(10_000);
  assert.equal(last().url, "ws://app.test/api/ws/prices?zones=SPP");
});

Deno.test("a 44xx close fails at once: retrying cannot help", () => {
  const { client, timers, sockets, last } = setup({ url: "ws://app.test/api/ws/market/XX" });
  last().open();
  last().receive({ type: "error", code: "unknown_zone", message: "Unknown zone: XX" });
  last().drop(4404, "unknown zone");
  assert.equal(client.state.value, "failed");
  assert.equal(client.lastError.value, "unknown zone");
  timers.advance(60_000);
  assert.equal(sockets.length, 1);
});

Deno.test("a server silent for 2.5 heartbeats is dropped and the client reconnects", () => {
  const { client, timers, sockets, last } = setup();
  last().open();
  last().receive(welcome(ALL, 1000));
  timers.advance(2000);
  last().receive({ type: "heartbeat", ts: 1 }); // any frame re-arms the watchdog
  timers.advance(2400);
  assert.equal(client.state.value, "open");
  timers.advance(200);
  assert.equal(client.state.value, "reconnecting");
  assert.deepEqual(sockets[0].closed, { code: 4000, reason: "heartbeat missed" });
  assert.equal(sockets[0].onmessage, null, "the dropped socket's late events are ignored");
  timers.advance(10_000);
  assert.equal(sockets.length, 2);
});

Deno.test("close() stops everything; late events of the old socket change nothing", () => {
  const { client, timers, sockets, last } = setup();
  const s = last();
  s.open();
  s.receive(welcome());
  const onclose = s.onclose;
  client.close();
  assert.equal(client.state.value, "closed");
  assert.deepEqual(s.closed, { code: 1000, reason: "closed by the page" });
  onclose?.(new CloseEvent("close", { code: 1006 }));
  timers.advance(60_000);
  assert.equal(client.state.value, "closed");
  assert.equal(sockets.length, 1);
  assert.equal(timers.pending.size, 0, "no timers left behind");
});

Deno.test("the module is browser-safe: no Deno APIs, and only @preact/signals and rows.ts at run time", async () => {
  const runtimeImportsOf = async (file: string) => {
    const src = await Deno.readTextFile(new URL(`../../services/realtime/${file}`, import.meta.url));
    assert.ok(!/\bDeno\./.test(src), `${file} uses no Deno APIs`);
    return [...src.matchAll(/^import\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]);
  };
  assert.deepEqual(await runtimeImportsOf("client.ts"), ["@preact/signals", "./rows.ts"]);
  assert.deepEqual(await runtimeImportsOf("rows.ts"), [], "rows.ts keeps zod out of island bundles");
});

Deno.test("a price row is the tick it came from, and a third of its bytes or less", () => {
  const t = tick("CAISO", -12.5, 35, "RT");
  const row = priceRow(t);
  assert.deepEqual(row.length, PRICE_FIELDS.length);
  assert.deepEqual(ticksOf({ rows: [row] }), [t]);
  assert.deepEqual(Object.fromEntries(PRICE_FIELDS.map((f, i) => [f, row[i]])), {
    ...t,
    interval_start: Date.parse(t.interval_start),
    interval_end: Date.parse(t.interval_end),
  });
  assert.ok(JSON.stringify(row).length * 2.5 < JSON.stringify(t).length, JSON.stringify(row));
});

Deno.test("refused before its welcome (an expired token): the session is renewed, then it reconnects", async () => {
  const checks: string[] = [];
  const { client, sockets, timers, last } = setup({
    checkSession: () => {
      checks.push("check");
      return Promise.resolve("ok");
    },
  });
  last().drop(1006);
  assert.equal(timers.pending.size, 0, "no retry before the session is checked");
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(checks, ["check"]);
  assert.equal(client.state.value, "reconnecting");
  timers.advance(10_000);
  assert.equal(sockets.length, 2);
  last().open();
  last().receive(welcome());
  assert.equal(client.state.value, "open");
  // A connection that had its welcome and then drops is a network matter: no session check.
  last().drop(1006);
  assert.deepEqual(checks, ["check"]);
  assert.equal(client.state.value, "reconnecting");
  client.close();
});

Deno.test("refused before its welcome with the session over: failed, with that reason, no retries", async () => {
  const { client, sockets, timers, last } = setup({ checkSession: () => Promise.resolve("ended") });
  last().drop(1006);
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(client.state.value, "failed");
  assert.match(client.lastError.value ?? "", /session has ended/);
  timers.advance(60_000);
  assert.equal(sockets.length, 1);
  client.reconnect();
  assert.equal(sockets.length, 2);
  client.close();
});
