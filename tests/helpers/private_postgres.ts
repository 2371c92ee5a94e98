/**
 * A Postgres server of a test's own (initdb in a temp folder, a free port), so
 * a test may stop and start it without touching the shared server other tests
 * use. Runs as the `postgres` OS user when the test runs as root (Postgres
 * refuses root). Skipped when the binaries are not installed.
 */
import { freePort } from "./ports.ts";
const BIN = (() => {
  try {
    for (const v of [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name).sort().reverse()) {
      const dir = `/usr/lib/postgresql/${v}/bin`;
      if (Deno.statSync(`${dir}/initdb`).isFile) return dir;
    }
  } catch { /* not installed */ }
  return null;
})();

export const privatePostgresAvailable = BIN !== null;

async function run(args: string[]): Promise<void> {
  const asRoot = Deno.uid?.() === 0;
  const cmd = asRoot ? ["runuser", "-u", "postgres", "--", ...args] : args;
  const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
}

export interface PrivatePostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** SIGKILL to the server and every backend at once, as a crashed host or an OOM kill does. */
  kill(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function privatePostgres(): Promise<PrivatePostgres> {
  if (!BIN) throw new Error("Postgres binaries are not installed");
  const dir = await Deno.makeTempDir({ prefix: "optibid-pg-" });
  if (Deno.uid?.() === 0) {
    await new Deno.Command("chown", { args: ["postgres:postgres", dir] }).output();
  }
  const port = freePort();
  await run([`${BIN}/initdb`, "-D", `${dir}/data`, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const start = () =>
    run([
      `${BIN}/pg_ctl`,
      "-D",
      `${dir}/data`,
      "-w",
      "-l",
      `${dir}/log`,
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "start",
    ]);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async kill() {
      const pid = Number((await Deno.readTextFile(`${dir}/data/postmaster.pid`)).split("\n")[0]);
      const ps = await new Deno.Command("ps", { args: ["-o", "pid=", "--ppid", String(pid)], stdout: "piped" })
        .output();
      const children = new TextDecoder().decode(ps.stdout).split(/\s+/).filter(Boolean).map(Number);
      for (const p of [pid, ...children]) {
        try {
          Deno.kill(p, "SIGKILL");
        } catch { /* already gone */ }
      }
      // Gone once none of them is left (a backend still attached to the shared memory would stop a restart).
      const alive = (p: number) => {
        try {
          return !Deno.readTextFileSync(`/proc/${p}/stat`).includes(") Z ");
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 200 && [pid, ...children].some(alive); i++) await new Promise((r) => setTimeout(r, 25));
      // The killed server may linger as a zombie (nothing here reaps daemons), and Postgres takes a lock file
      // (and the socket's) naming a pid that still exists for a live server: remove them, as an operator would after a crash.
      for (const f of [`${dir}/data/postmaster.pid`, `${dir}/.s.PGSQL.${port}.lock`, `${dir}/.s.PGSQL.${port}`]) {
        await Deno.remove(f).catch(() => {});
      }
    },
    stop: () => run([`${BIN}/pg_ctl`, "-D", `${dir}/data`, "-w", "-m", "immediate", "stop"]),
    start,
    async destroy() {
      await run([`${BIN}/pg_ctl`, "-D", `${dir}/data`, "-w", "-m", "immediate", "stop"]).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
