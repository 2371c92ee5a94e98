/**
 * Boots the real app (`main.ts`) in a child process, as `deno task start` does,
 * on a free port, and reads its JSON logs. Each app gets its own data folder.
 */

/** Splits a text stream into lines. */
async function* lines(stream: ReadableStream<Uint8Array<ArrayBuffer>>): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  if (buf) yield buf;
}

export interface SpawnedApp {
  url: string;
  logs: Record<string, unknown>[];
  /** Resolves when a log line matches. */
  waitForLog(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit status; SIGKILL after a bound. */
  stop(): Promise<Deno.CommandStatus>;
  /** Sends a signal and returns at once (`exited` tells when the process is gone). */
  signal(signal: Deno.Signal): void;
  exited: Promise<Deno.CommandStatus>;
  dataDir: string;
}

const ROOT = new URL("../../", import.meta.url);

export async function spawnApp(
  env: Record<string, string> = {},
  opts: { timeoutMs?: number } = {},
): Promise<SpawnedApp> {
  const dataDir = env.DATA_DIR ?? await Deno.makeTempDir({ prefix: "optibid-app-" });
  const ownsDataDir = !env.DATA_DIR;
  const child = appProcess({ DATA_DIR: dataDir, ...env });

  const logs: Record<string, unknown>[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] =
    [];
  const stderrChunks: string[] = [];
  const pump = (async () => {
    for await (const line of lines(child.stdout)) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = { raw: line };
      }
      logs.push(parsed);
      for (const w of [...waiters]) {
        if (w.pred(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    }
  })();
  const errPump = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderrChunks.push(chunk);
  })();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });

  const waitForLog = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 30_000) => {
    const found = logs.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no matching log line in ${timeoutMs} ms; stderr: ${stderrChunks.join("").slice(-2000)}`));
      }, timeoutMs);
      waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
      status.then(() => {
        clearTimeout(timer);
        reject(new Error(`app exited before the log line; stderr: ${stderrChunks.join("").slice(-2000)}`));
      });
    });
  };

  const listening = await waitForLog((l) => l.msg === "listening", opts.timeoutMs ?? 60_000);
  const url = String(listening.url).replace("localhost", "127.0.0.1");

  return {
    url,
    logs,
    dataDir,
    waitForLog,
    exited: status,
    signal(sig) {
      try {
        child.kill(sig);
      } catch { /* already gone */ }
    },
    async waitReady(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const res = await fetch(`${url}/health/ready`).catch(() => null);
        await res?.body?.cancel();
        if (res?.status === 200) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`app not ready within ${timeoutMs} ms`);
    },
    async stop() {
      if (!exited) {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
      }
      const killer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 15_000);
      const s = await status;
      clearTimeout(killer);
      await pump.catch(() => {});
      await errPump.catch(() => {});
      if (ownsDataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      return s;
    },
  };
}

/** `main.ts` as `deno task start` runs it, on a free port of loopback unless `env` says otherwise, output piped. */
function appProcess(env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "--unstable-net", "--node-modules-dir=manual", "main.ts"],
    cwd: ROOT,
    env: { PORT: "0", HOST: "127.0.0.1", APP_ENV: "test", LOG_LEVEL: "info", ...env },
    clearEnv: false,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * Runs `main.ts` to its end (a start that is meant to fail), in a data folder of its own unless `env` names one:
 * its exit code and output. Killed after `timeoutMs`, which then fails the caller's check of the code (a signal,
 * no code).
 */
export async function runAppToExit(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dataDir = env.DATA_DIR ?? await Deno.makeTempDir({ prefix: "optibid-app-" });
  const child = appProcess({ DATA_DIR: dataDir, ...env });
  const killer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeoutMs);
  const out = await child.output();
  clearTimeout(killer);
  if (!env.DATA_DIR) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.signal ? null : out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}
