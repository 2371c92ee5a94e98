/**
 * The client side of bench/ws_fanout.ts, in a process of its own (pinned to
 * the other core): opens the WebSockets, then on "measure" (a stdin line)
 * starts counting, and on "stop" prints one JSON line of results and exits.
 *
 * Frames are not JSON-parsed: the client would be the bottleneck. Each tick's
 * latency is its receive time minus the publish time the bench put in its
 * `congestion` field (ms since the epoch that comes with "measure"; the
 * bench's ticks are fake, see ws_fanout.ts); the frame's `published_at` (its
 * oldest tick's arrival at the hub) is read too.
 */

interface Config {
  ws: string;
  token: string;
  clients: number;
  /** Share of clients on /api/ws/prices (every zone); the rest take one zone each. */
  allShare: number;
  zones: string[];
}

const config = JSON.parse(Deno.env.get("WS_BENCH_CONFIG") ?? "{}") as Config;
const now = () => performance.timeOrigin + performance.now();

/** 0.1 ms buckets up to 10 s: per tick, and per frame (oldest tick, from `published_at`). */
const hist = new Float64Array(100_001);
const frameHist = new Float64Array(100_001);
const bucket = (ms: number) => Math.min(hist.length - 1, Math.max(0, Math.round(ms * 10)));
let measuring = false;
let epoch = 0;
let frames = 0;
let ticks = 0;
let bytes = 0;
let welcomed = 0;
let closed = 0;

function onMessage(ev: MessageEvent): void {
  const data = ev.data as string;
  if (data.charCodeAt(10) !== 114 /* r of {"type":"prices" */) {
    if (data.startsWith('{"type":"snapshot"')) welcomed++;
    else if (data.startsWith('{"type":"heartbeat"')) (ev.target as WebSocket).send('{"type":"pong"}');
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

function percentile(p: number, h = hist): number {
  const total = h.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i];
    if (seen >= total * p) return i / 10;
  }
  return NaN;
}

function cpuSeconds(): number {
  // utime + stime of this process, in clock ticks (100 per second on Linux).
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const sockets: WebSocket[] = [];
const t0 = performance.now();
const allCount = Math.round(config.clients * config.allShare);
for (let i = 0; i < config.clients; i += 100) {
  const batch: Promise<void>[] = [];
  for (let j = i; j < Math.min(config.clients, i + 100); j++) {
    const path = j < allCount ? "/api/ws/prices" : `/api/ws/market/${config.zones[j % config.zones.length]}`;
    // deno-lint-ignore no-explicit-any
    const ws = new WebSocket(config.ws + path, { headers: { authorization: `Bearer ${config.token}` } } as any);
    ws.onmessage = onMessage;
    ws.onclose = () => closed++;
    sockets.push(ws);
    batch.push(
      new Promise((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = (e) => reject(new Error(`connect ${j}: ${(e as ErrorEvent).message}`));
      }),
    );
  }
  await Promise.all(batch);
}
while (welcomed < config.clients) await new Promise((r) => setTimeout(r, 10));
console.log(JSON.stringify({ ready: true, connected: sockets.length, connectMs: performance.now() - t0 }));

let started = 0;
let cpu0 = 0;
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  for (const line of chunk.split("\n").map((l) => l.trim()).filter(Boolean)) {
    if (line.startsWith("measure")) {
      epoch = Number(line.split(" ")[1]);
      hist.fill(0);
      frameHist.fill(0);
      frames = ticks = bytes = 0;
      measuring = true;
      started = performance.now();
      cpu0 = cpuSeconds();
    } else if (line === "stop") {
      measuring = false;
      const seconds = (performance.now() - started) / 1000;
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
        cpu: (cpuSeconds() - cpu0) / seconds,
        closed,
      }));
      for (const ws of sockets) ws.close();
      Deno.exit(0);
    }
  }
}
