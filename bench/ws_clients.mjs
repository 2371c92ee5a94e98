/**
 * The client side of bench/ws_fanout.ts on a machine without a C compiler
 * (bench/ws_clients.c otherwise, about half the CPU a frame): 2,000 WebSocket
 * clients in one Node.js process (pinned to the other core), the WebSocket protocol read
 * straight off `net` sockets. This is the load generator, and on a 2-core
 * machine it shares the machine with the server it measures: with Deno's
 * WebSocket client (one receive op and one event per frame, ~18 µs a frame
 * here, the bench's own scanning only 10% of it) the client process was the
 * first to saturate and its own queue became most of the latency it reported
 * (2,000 clients, 30 ms windows: p99 372 ms, against 87 ms with this one).
 * Node reads whatever has arrived in one go — several frames a read once it
 * falls behind — so a burst does not turn into a standing queue. Real
 * clients are browsers on machines of their own.
 *
 * On "measure <epoch>" (a stdin line) it starts counting; on "stop" it prints
 * one JSON line of results and exits. Frames are not JSON-parsed: each tick's
 * latency is its receive time minus the publish time the bench put in its
 * `congestion` field (ms since the epoch; see ws_fanout.ts), and the frame's
 * `published_at` (its oldest tick's arrival at the hub) is read too.
 */
import { createHash, randomBytes } from "node:crypto";
import { connect } from "node:net";
import { createInterface } from "node:readline";

// The same environment as ws_clients.c reads (see there).
const env = (k) => {
  const v = process.env[k];
  if (v === undefined) throw new Error(`${k} is not set`);
  return v;
};
const config = {
  token: env("WS_TOKEN"),
  clients: Number(env("WS_CLIENTS")),
  allCount: Number(env("WS_ALL")),
  zones: env("WS_ZONES").split(","),
};
const url = new URL(`ws://${env("WS_HOST")}:${env("WS_PORT")}`);
const now = () => performance.timeOrigin + performance.now();

/** 0.1 ms buckets up to 10 s: per tick, and per frame (oldest tick, from `published_at`). */
const hist = new Float64Array(100_001);
const frameHist = new Float64Array(100_001);
const bucket = (ms) => Math.min(hist.length - 1, Math.max(0, Math.round(ms * 10)));
let measuring = false;
let epoch = 0;
let frames = 0;
let ticks = 0;
let bytes = 0;
let welcomed = 0;
let closed = 0;

function onText(data, send) {
  if (data.charCodeAt(10) !== 114 /* r of {"type":"prices" */) {
    if (data.startsWith('{"type":"snapshot"')) welcomed++;
    else if (data.startsWith('{"type":"heartbeat"')) send('{"type":"pong"}');
    return;
  }
  if (!measuring) return;
  const received = now();
  const at = data.indexOf('"published_at":') + 15;
  frameHist[bucket(received - Number(data.slice(at, data.indexOf(",", at))))]++;
  // Rows are [zone, market, start, end, lmp, energy, congestion, loss]: congestion is between the
  // last two commas of a row.
  let n = 0;
  for (let i = data.indexOf("[[") + 1; i > 0; i = data.indexOf(",[", i) + 1) {
    const end = data.indexOf("]", i);
    const c2 = data.lastIndexOf(",", end);
    const c1 = data.lastIndexOf(",", c2 - 1);
    hist[bucket(received - epoch - Number(data.slice(c1 + 1, c2)))]++;
    n++;
    i = end;
  }
  frames++;
  ticks += n;
  bytes += data.length;
}

/** A client frame: always masked (RFC 6455 §5.3). */
function clientFrame(opcode, payload) {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126
    ? Buffer.from([0x80 | opcode, 0x80 | len])
    : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 255]);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

/** Opens one WebSocket; resolves when the 101 is in. */
function open(path) {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString("base64");
    const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    socket.setNoDelay(true);
    const send = (text) => socket.write(clientFrame(1, Buffer.from(text)));
    let upgraded = false;
    let buf = Buffer.alloc(0);
    socket.on("connect", () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${config.token}\r\n\r\n`,
      );
    });
    socket.on("data", (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buf.subarray(0, end).toString("latin1");
        if (!head.startsWith("HTTP/1.1 101") || !head.includes(accept)) {
          reject(new Error(`upgrade of ${path} refused: ${head.split("\r\n")[0]}`));
          socket.destroy();
          return;
        }
        upgraded = true;
        buf = buf.subarray(end + 4);
        resolve(socket);
      }
      // Every whole frame in the buffer; a partial one waits for the next chunk.
      let off = 0;
      while (buf.length - off >= 2) {
        const opcode = buf[off] & 0x0f;
        let len = buf[off + 1] & 0x7f;
        let head = 2;
        if (len === 126) {
          if (buf.length - off < 4) break;
          len = buf.readUInt16BE(off + 2);
          head = 4;
        } else if (len === 127) {
          if (buf.length - off < 10) break;
          len = Number(buf.readBigUInt64BE(off + 2));
          head = 10;
        }
        if (buf.length - off < head + len) break;
        const payload = buf.subarray(off + head, off + head + len);
        off += head + len;
        if (opcode === 1) onText(payload.toString("latin1"), send);
        else if (opcode === 9) socket.write(clientFrame(10, payload));
        else if (opcode === 8) socket.end();
      }
      buf = off === buf.length ? Buffer.alloc(0) : buf.subarray(off);
    });
    socket.on("error", (e) => {
      if (!upgraded) reject(e);
    });
    socket.on("close", () => closed++);
  });
}

const sockets = [];
const t0 = performance.now();
for (let i = 0; i < config.clients; i += 100) {
  const batch = [];
  for (let j = i; j < Math.min(config.clients, i + 100); j++) {
    batch.push(
      open(j < config.allCount ? "/api/ws/prices" : `/api/ws/market/${config.zones[j % config.zones.length]}`),
    );
  }
  sockets.push(...await Promise.all(batch));
}
while (welcomed < config.clients) await new Promise((r) => setTimeout(r, 10));
console.log(JSON.stringify({ ready: true, connected: sockets.length, connectMs: performance.now() - t0 }));

function percentile(p, h = hist) {
  const total = h.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i];
    if (seen >= total * p) return i / 10;
  }
  return NaN;
}

let started = 0;
let cpu0 = process.cpuUsage();
for await (const raw of createInterface({ input: process.stdin })) {
  const line = raw.trim();
  if (line.startsWith("measure")) {
    epoch = Number(line.split(" ")[1]);
    hist.fill(0);
    frameHist.fill(0);
    frames = ticks = bytes = 0;
    measuring = true;
    started = performance.now();
    cpu0 = process.cpuUsage();
  } else if (line === "stop") {
    measuring = false;
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({
      seconds,
      frames,
      ticks,
      bytes,
      p50: percentile(0.5),
      p90: percentile(0.9),
      p99: percentile(0.99),
      max: percentile(1),
      frameP50: percentile(0.5, frameHist),
      frameP99: percentile(0.99, frameHist),
      cpu: (cpu.user + cpu.system) / 1e6 / seconds,
      closed,
    }));
    for (const s of sockets) s.destroy();
    process.exit(0);
  }
}
