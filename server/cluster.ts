/**
 * APP_PROCESSES=N: this process starts N app processes that share PORT (SO_REUSEPORT: Linux spreads
 * incoming connections over them), so request handling and WebSocket fan-out use every core instead of
 * one. Nothing else needs to change for that: the processes are instances like those behind a load
 * balancer — Postgres, the realtime bus (Redis, required with APP_PROCESSES), the cache and the signals carry
 * what one must tell the others, and the jobs that must run once take their locks. Only the first runs
 * the price feed (two would publish every tick twice).
 *
 * It builds the client assets once before them (two would race to write the same files), passes
 * SIGTERM/SIGINT on and waits for every process to finish its own drain, and restarts a process that
 * dies unasked, with backoff, so one crash does not halve the capacity for good.
 */
import type { Config } from "../services/config/env.ts";
import { flushLogs, log } from "../services/log/logger.ts";
import { ensureBuild, EXIT_CANNOT_START } from "./start.ts";

/** Waits before restarting a process that died, by how many times in a row it died within a minute. */
const RESTART_MS = [250, 1_000, 5_000, 15_000];
const STABLE_MS = 60_000;

/** The environment of process `i` of `n`: the parent's, with the settings that make it one instance of many. */
export function processEnv(parent: Record<string, string>, i: number): Record<string, string> {
  const env: Record<string, string> = { ...parent, APP_PROCESSES: "1", REUSE_PORT: "true", APP_INSTANCE: String(i) };
  if (i > 0) env.MARKET_SOURCE = "off";
  return env;
}

export async function superviseProcesses(config: Config): Promise<void> {
  await ensureBuild(config);
  const main = new URL("../main.ts", import.meta.url).pathname;
  // The flags `deno task start` and the Dockerfile run main.ts with (SO_REUSEPORT is behind --unstable-net).
  const args = ["run", "-A", "--unstable-kv", "--unstable-net", "--frozen", "--node-modules-dir=manual", main];
  const parent = Deno.env.toObject();
  let stopping = false;
  let exitCode = 0;
  const running = new Map<number, Deno.ChildProcess>();

  const startOne = (i: number, crashes = 0, first = true): void => {
    const child = new Deno.Command(Deno.execPath(), {
      args,
      env: processEnv(parent, i),
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const started = Date.now();
    running.set(i, child);
    log.info("app process started", { instance: i, pid: child.pid, of: config.appProcesses });
    child.status.then((status) => {
      running.delete(i);
      if (stopping) return;
      // Its first start said why it cannot start (the port is taken): every restart would fail the same way. A
      // restart that says so after a crash stops nobody: the others have been serving, and it is tried again.
      if (status.code === EXIT_CANNOT_START && first) {
        log.error("an app process cannot start; stopping the others", { instance: i, pid: child.pid });
        exitCode = EXIT_CANNOT_START;
        return stop("SIGTERM");
      }
      const inARow = Date.now() - started > STABLE_MS ? 0 : crashes + 1;
      const wait = RESTART_MS[Math.min(inARow, RESTART_MS.length - 1)];
      log.error("app process exited; restarting it", {
        instance: i,
        pid: child.pid,
        code: status.code,
        signal: status.signal,
        restartInMs: wait,
      });
      setTimeout(() => !stopping && startOne(i, inARow, false), wait);
    });
  };
  for (let i = 0; i < config.appProcesses; i++) startOne(i);

  const stopped = Promise.withResolvers<void>();
  const stop = (signal: Deno.Signal) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping app processes", { signal, processes: running.size });
    const children = [...running.values()];
    for (const c of children) {
      try {
        c.kill(signal);
      } catch { /* already gone */ }
    }
    // Each process drains within its own SHUTDOWN_TIMEOUT_MS; one that does not is killed after that.
    const deadline = setTimeout(() => {
      for (const c of children) {
        try {
          c.kill("SIGKILL");
        } catch { /* already gone */ }
      }
    }, config.shutdownTimeoutMs + 2_000);
    Promise.all(children.map((c) => c.status)).then(() => {
      clearTimeout(deadline);
      stopped.resolve();
    });
  };
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  await stopped.promise;
  log.info("app processes stopped");
  flushLogs();
  Deno.exit(exitCode);
}
