/** Shared bench helpers: boot the app pinned to a core, drive it with wrk pinned to the other. */
import { type Figure, figure, type FigureInput } from "./summary.ts";

const ROOT = new URL("../", import.meta.url);

export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export function haveCommand(name: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

export const cores = navigator.hardwareConcurrency;
const canPin = haveCommand("taskset") && cores >= 2;

/** argv prefix pinning a process to one core (server on 0, load generator on 1), when possible. */
export function pinned(core: number, cmd: string[]): string[] {
  return canPin ? ["taskset", "-c", String(core), ...cmd] : cmd;
}

/**
 * One readiness probe: the status of `GET path`, or 0 when nothing answers. A bare socket rather than
 * `fetch`: the probe runs every 5 ms while the server starts, on the same two cores, and should cost the
 * start it measures as little as it can.
 */
async function probe(port: number, path: string): Promise<number> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch {
    return 0;
  }
  try {
    await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    const buf = new Uint8Array(64);
    let got = "";
    while (!got.includes("\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      got += new TextDecoder().decode(buf.subarray(0, n));
    }
    return Number(got.match(/^HTTP\/1\.[01] (\d{3})/)?.[1] ?? 0);
  } catch {
    return 0;
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

export interface BenchProcess {
  url: string;
  child: Deno.ChildProcess;
  /** ms from spawn to the first 200 of `readyPath`. */
  readyMs: number;
  stop(): Promise<void>;
}

/** Spawns a Deno program (the app by default) on a fixed port and waits for `readyPath` to answer 200. */
export async function spawnServer(
  opts: {
    env?: Record<string, string>;
    args?: string[];
    /** The app (default args) started with its inspector on this port (`inspectorSession`). */
    inspectPort?: number;
    /** The core to pin it to (default 0, leaving the other to the load generator); null: not pinned. */
    core?: number | null;
    readyPath?: string;
    timeoutMs?: number;
  } = {},
): Promise<BenchProcess> {
  const port = freePort();
  // As `deno task start` and the Docker image run it: node_modules/ installed beforehand, used as it is.
  const inspect = opts.inspectPort ? [`--inspect=127.0.0.1:${opts.inspectPort}`] : [];
  const args = opts.args ?? ["run", "-A", "--unstable-kv", ...inspect, "--node-modules-dir=manual", "main.ts"];
  const cmd = opts.core === null ? [Deno.execPath(), ...args] : pinned(opts.core ?? 0, [Deno.execPath(), ...args]);
  const t0 = performance.now();
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: ROOT,
    env: { PORT: String(port), HOST: "127.0.0.1", APP_ENV: "production", ...opts.env },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const deadline = t0 + (opts.timeoutMs ?? 60_000);
  let readyMs = -1;
  while (performance.now() < deadline) {
    if (await probe(port, opts.readyPath ?? "/health/ready") === 200) {
      readyMs = performance.now() - t0;
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
  };
  if (readyMs < 0) {
    await stop();
    throw new Error(`server on ${url} not ready in time`);
  }
  return { url, child, readyMs, stop };
}

/** CPU seconds (user + system, all threads) a process has used so far; NaN once it is gone. */
function cpuSecondsOf(pid: number): number {
  try {
    // Fields after the command name, which may hold spaces: split after its closing parenthesis.
    const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime: clock ticks of 1/100 s
  } catch {
    return NaN;
  }
}

/** The process and every process below it (APP_PROCESSES' supervisor and its app processes). */
export function processTree(pid: number): number[] {
  const out = [pid];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const kids = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      for (const kid of kids ? kids.split(" ").map(Number) : []) out.push(...processTree(kid));
    }
  } catch { /* gone */ }
  return out;
}

export const treeCpuSeconds = (pid: number) => processTree(pid).reduce((s, p) => s + (cpuSecondsOf(p) || 0), 0);

/**
 * Waits until a process (with its children) has used under `maxShare` of a core for `quietSeconds` consecutive seconds (a fresh
 * app's start-up jobs — history backfill, the first forecasts, with pauses of a few seconds between them — are
 * done), or until `timeoutMs`. Returns the wait in
 * ms, or -1 when it timed out: a measurement taken beside those jobs measures them too.
 */
export async function waitIdle(
  pid: number,
  opts: { maxShare?: number; quietSeconds?: number; timeoutMs?: number } = {},
): Promise<number> {
  const t0 = performance.now(), maxShare = opts.maxShare ?? 0.1, deadline = t0 + (opts.timeoutMs ?? 180_000);
  let quiet = 0;
  let last = treeCpuSeconds(pid);
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = treeCpuSeconds(pid);
    quiet = now - last < maxShare ? quiet + 1 : 0;
    last = now;
    if (quiet >= (opts.quietSeconds ?? 8)) return performance.now() - t0;
  }
  return -1;
}

export interface WrkResult {
  requestsPerSec: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Requests answered in the run (wrk's "N requests in …"). */
  requests?: number;
  /** CPU seconds the server's processes spent during the run, when measured (`withServerCpu`). */
  serverCpuSeconds?: number;
}

function toMs(v: string): number {
  const m = v.match(/^([\d.]+)(us|ms|s)$/);
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
}

export async function wrk(
  url: string,
  opts: { connections?: number; seconds?: number; headers?: Record<string, string>; script?: string } = {},
): Promise<WrkResult> {
  const cmd = pinned(1, [
    "wrk",
    ...Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    ...(opts.script ? ["-s", opts.script] : []),
    "-t1",
    `-c${opts.connections ?? 50}`,
    `-d${Math.max(1, Math.round(opts.seconds ?? 10))}s`, // whole seconds: wrk refuses "1.5s"
    "--latency",
    url,
  ]);
  const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    const said = `${new TextDecoder().decode(out.stderr)}${text}`.trim().slice(-1500);
    throw new Error(`wrk failed (exit ${out.code}${out.signal ? `, ${out.signal}` : ""}): ${said}`);
  }
  const rps = Number(text.match(/Requests\/sec:\s+([\d.]+)/)?.[1]);
  const mean = toMs(text.match(/Latency\s+(\S+)/)?.[1] ?? "");
  const p50 = toMs(text.match(/\s50%\s+(\S+)/)?.[1] ?? "");
  const p99 = toMs(text.match(/\s99%\s+(\S+)/)?.[1] ?? "");
  const non2xx = Number(text.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  const sockErr = text.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const errors = non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const requests = Number(text.match(/(\d+) requests in/)?.[1]);
  return { requestsPerSec: rps, meanMs: mean, p50Ms: p50, p99Ms: p99, errors, requests };
}

/** A run with the CPU time the server at `pid` (every process of it) spent during it. */
export async function withServerCpu(pid: number, run: () => Promise<WrkResult>): Promise<WrkResult> {
  const before = treeCpuSeconds(pid);
  const r = await run();
  return { ...r, serverCpuSeconds: treeCpuSeconds(pid) - before };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** A throwaway database on the local Postgres (BENCH_PG_ADMIN_URL), or null when there is no server. */
export async function throwawayDatabase(tag: string): Promise<{ url: string; drop(): Promise<void> } | null> {
  return await benchDatabase(`optibid_bench_${tag}_${Date.now()}`, false);
}

/**
 * A bench database by name: `keep` reuses it when it exists (and leaves it in place), so a benchmark with a
 * long data load can run again on the same rows; `created` says whether it is new (empty).
 */
export async function benchDatabase(
  name: string,
  keep: boolean,
): Promise<{ url: string; created: boolean; drop(): Promise<void> } | null> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new RangeError(`bad database name ${name}`);
  const admin = Deno.env.get("BENCH_PG_ADMIN_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const { default: postgres } = await import("postgres");
  const sql = postgres(admin, { max: 1, connect_timeout: 2, onnotice: () => {} });
  let created = true;
  try {
    const exists = keep && (await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`).length > 0;
    if (exists) created = false;
    else await sql.unsafe(`CREATE DATABASE ${name}`);
  } catch {
    await sql.end();
    return null;
  }
  const url = new URL(admin);
  url.pathname = "/" + name;
  return {
    url: url.href,
    created,
    async drop() {
      if (!keep) await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await sql.end();
    },
  };
}

/** The request path's metering switched off (REQUEST_METRICS and QUOTAS): the baseline of its overhead. */
export const METERING_OFF = { REQUEST_METRICS: "off", QUOTAS: "off" } as const;

/**
 * Metering on against off, in one run: two apps up side by side, measured in alternating rounds so load
 * from elsewhere on the machine falls on both alike. `measure(which)` runs one round against one app.
 * The ratio is the median of each round's own on/off ratio: the two halves of a round are seconds apart,
 * so a drift of the machine's speed over the run cancels within a round instead of adding to the spread.
 *
 * The overhead is the server's CPU time per request, on against off, when every round measured it
 * (`withServerCpu`): requests/s moved by ±15–25 % from one 3-second round to the next on this machine
 * (seen: rounds of 0.79–1.13 for the same page, and a "−17 %" overhead), which a 5 % line cannot be judged
 * by, while the CPU a request costs is what the metering adds. Otherwise it is the requests/s ratio.
 */
export async function onOffRounds(
  measure: (which: "on" | "off") => Promise<WrkResult>,
  rounds = 3,
): Promise<
  {
    on: number;
    off: number;
    ratio: number;
    overheadPct: number;
    /** What the overhead was measured by. */
    by: "cpu per request" | "requests/s";
    /** Median server CPU per request, µs, when measured. */
    cpuPerRequestUs?: Record<"on" | "off", number>;
    errors: number;
    /** Each round's requests/s on ÷ off (below 1: on is slower). */
    ratios: number[];
    /** Each round's server CPU a request on ÷ off (above 1: on costs more), when measured. */
    cpuRatios?: number[];
    /** Each side's rounds as one result: the median of every figure. */
    results: Record<"on" | "off", WrkResult>;
  }
> {
  const runs: Record<"on" | "off", WrkResult[]> = { on: [], off: [] };
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  // A reading of no CPU at all is a process gone or unreadable, not a free request.
  const perRequest = (r: WrkResult) =>
    r.serverCpuSeconds !== undefined && r.serverCpuSeconds > 0 && r.requests ? r.serverCpuSeconds / r.requests : NaN;
  for (let i = 0; i < rounds; i++) {
    const round: Partial<Record<"on" | "off", WrkResult>> = {};
    for (const which of i % 2 ? ["off", "on"] as const : ["on", "off"] as const) {
      const r = await measure(which);
      round[which] = r;
      runs[which].push(r);
    }
    ratios.push(round.on!.requestsPerSec / round.off!.requestsPerSec);
    cpuRatios.push(perRequest(round.on!) / perRequest(round.off!));
  }
  const results = { on: medianResult(runs.on), off: medianResult(runs.off) };
  const ratio = median(ratios);
  const errors = results.on.errors + results.off.errors;
  const byCpu = cpuRatios.every(Number.isFinite);
  return {
    on: results.on.requestsPerSec,
    off: results.off.requestsPerSec,
    ratio,
    overheadPct: byCpu ? (median(cpuRatios) - 1) * 100 : (1 - ratio) * 100,
    by: byCpu ? "cpu per request" : "requests/s",
    cpuPerRequestUs: byCpu
      ? { on: median(runs.on.map(perRequest)) * 1e6, off: median(runs.off.map(perRequest)) * 1e6 }
      : undefined,
    errors,
    ratios,
    cpuRatios: byCpu ? cpuRatios : undefined,
    results,
  };
}

/** Rounds of one measurement as one: the median of each figure (errors added up). */
function medianResult(rs: WrkResult[]): WrkResult {
  const of = (f: (r: WrkResult) => number) => median(rs.map(f));
  return {
    requestsPerSec: of((r) => r.requestsPerSec),
    meanMs: of((r) => r.meanMs),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    errors: rs.reduce((n, r) => n + r.errors, 0),
  };
}

/** What `onOffRounds` measured. */
export type OnOffResult = Awaited<ReturnType<typeof onOffRounds>>;

export function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

const reports: Figure[] = [];

/**
 * A bench's headline figure, with its target when an issue sets one: collected for the run's summary
 * table and JSON (bench/run.ts), beside whatever the bench prints itself. `met` is worked out here from
 * the target, never passed in. A ratio's target stays a ratio: give the baseline it was measured against.
 */
export function report(input: FigureInput): void {
  reports.push(figure(input, loadAverage()));
}

/** What has been reported so far, in order. */
export function reported(): Figure[] {
  return [...reports];
}

/**
 * A DevTools protocol session with a process started with `--inspect=127.0.0.1:<port>`: the benches use it to
 * run the garbage collector before reading memory, so that a figure is what is kept, not what awaits collection.
 */
export async function inspectorSession(port: number, timeoutMs = 30_000): Promise<{
  send(method: string, params?: Record<string, unknown>): Promise<unknown>;
  close(): void;
}> {
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(5_000) }))
    .json();
  if (!target?.webSocketDebuggerUrl) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`inspector on port ${port} did not answer`));
  });
  let next = 0;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(`${m.error.message}`));
    else w.resolve(m.result);
  };
  // The process gone (or the session closed): nothing still asked is ever answered.
  ws.onclose = () => {
    for (const w of waiting.values()) w.reject(new Error(`inspector on port ${port} closed`));
    waiting.clear();
  };
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        if (ws.readyState !== WebSocket.OPEN) return reject(new Error(`inspector on port ${port} is closed`));
        const id = ++next;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`inspector: ${method} unanswered after ${timeoutMs} ms`));
        }, timeoutMs);
        const done = <A extends unknown[]>(f: (...a: A) => void) => (...a: A) => {
          clearTimeout(timer);
          f(...a);
        };
        waiting.set(id, { resolve: done(resolve), reject: done(reject) });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}
