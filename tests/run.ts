/**
 * `deno task test`: give this run its own Postgres database, Redis key prefix
 * and ClickHouse database, run every test file in parallel, then drop them again.
 * Services that do not answer are left unset; tests needing them skip (or fail in CI).
 *
 * Files run concurrently (`deno test --parallel`, DENO_JOBS at a time, default 4:
 * most of a file's time is spent waiting on a database, a child app or a browser,
 * not on a core). So no file shares mutable state with another: each takes a
 * database, key prefix or ClickHouse database of its own (tests/helpers/services.ts),
 * copied in a fraction of a second from the run's migrated template database.
 */
import postgres from "postgres";
import { migrated } from "../db/migrate.ts";
import { openPostgres } from "../services/adapters/postgres.ts";

const T0 = performance.now();
const building = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", "build.ts"],
  cwd: new URL("../", import.meta.url),
  stdin: "null",
  stdout: "piped",
  stderr: "piped",
}).output();

const runId = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
const env: Record<string, string> = {};
/** What the run made, dropped at the end; each says how much it dropped and the run reports how long it took. */
const cleanups: { what: string; run: () => Promise<number | void> }[] = [];

async function reachable(host: string, port: number, ms = 1000): Promise<boolean> {
  try {
    const conn = await Promise.race([
      Deno.connect({ hostname: host, port }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms)),
    ]);
    conn.close();
    return true;
  } catch {
    return false;
  }
}

const pgAdminUrl = Deno.env.get("TEST_PG_ADMIN_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
{
  const u = new URL(pgAdminUrl);
  if (await reachable(u.hostname, Number(u.port || 5432))) {
    // Many connections for the drops at the end: each DROP DATABASE waits for a checkpoint, and drops in
    // flight together share one (40 copies: ~70 s four at a time, ~1.5 s all at once, measured here).
    const admin = postgres(pgAdminUrl, { max: 32, onnotice: () => {} });
    const dbName = `optibid_test_${runId}`;
    await admin.unsafe(`CREATE DATABASE "${dbName}"`);
    const dbUrl = new URL(pgAdminUrl);
    dbUrl.pathname = `/${dbName}`;
    env.TEST_DATABASE_URL = dbUrl.toString();
    env.TEST_PG_ADMIN_URL = pgAdminUrl;
    cleanups.push({
      what: "Postgres databases",
      run: async () => {
        // The run's database, its template and the tests' own (named after the run's), all in flight together.
        const made = await admin.unsafe<{ datname: string }[]>(
          `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`,
          [dbName, `${dbName}\\_%`],
        );
        await Promise.all(made.map(({ datname }) => admin.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`)));
        await admin.end();
        return made.length;
      },
    });
    // The migrated schema every test app copies its own database from (CREATE DATABASE … TEMPLATE).
    const template = `${dbName}_template`;
    await admin.unsafe(`CREATE DATABASE "${template}"`);
    const templateUrl = new URL(pgAdminUrl);
    templateUrl.pathname = `/${template}`;
    const { db } = await migrated(await openPostgres(templateUrl.toString(), { max: 1 }));
    await db.close();
    env.TEST_PG_TEMPLATE = template;
  }
}

const redisUrl = Deno.env.get("TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";
{
  const u = new URL(redisUrl);
  if (await reachable(u.hostname, Number(u.port || 6379))) {
    env.TEST_REDIS_URL = redisUrl;
    env.TEST_REDIS_PREFIX = `optibid-test-${runId}:`;
    cleanups.push({
      what: "Redis keys",
      run: () => deleteRedisPrefix(u.hostname, Number(u.port || 6379), env.TEST_REDIS_PREFIX),
    });
  }
}

const clickhouseUrl = Deno.env.get("TEST_CLICKHOUSE_URL") ?? "http://127.0.0.1:8123";
try {
  const res = await fetch(`${clickhouseUrl}/ping`, { signal: AbortSignal.timeout(3000) });
  await res.body?.cancel();
  if (res.ok) {
    const db = `optibid_test_${runId}`;
    const create = await fetch(clickhouseUrl, { method: "POST", body: `CREATE DATABASE ${db}` });
    await create.body?.cancel();
    if (create.ok) {
      env.TEST_CLICKHOUSE_URL = clickhouseUrl;
      env.TEST_CLICKHOUSE_DB = db;
      cleanups.push({
        what: "ClickHouse databases",
        run: async () => {
          // Tests take databases of their own named after the run's (tests/helpers/services.ts).
          const list = await fetch(clickhouseUrl, {
            method: "POST",
            body: `SELECT name FROM system.databases WHERE startsWith(name, '${db}')`,
          });
          const names = (await list.text()).split("\n").filter(Boolean);
          for (const name of names) {
            const r = await fetch(clickhouseUrl, { method: "POST", body: `DROP DATABASE IF EXISTS ${name}` });
            await r.body?.cancel();
          }
          return names.length;
        },
      });
    }
  }
} catch { /* not running: tests that need it skip */ }

const chromium = Deno.env.get("TEST_CHROMIUM") ?? "/usr/bin/chromium";
try {
  if (Deno.statSync(chromium).isFile) env.TEST_CHROMIUM = chromium;
} catch { /* not installed */ }

const sharedData = new URL("../../shared/data/", import.meta.url);
try {
  if (Deno.statSync(sharedData).isDirectory) env.TEST_SHARED_DATA = sharedData.pathname;
} catch { /* absent */ }

async function deleteRedisPrefix(host: string, port: number, prefix: string): Promise<void> {
  const { Redis } = await import("ioredis");
  const redis = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

console.log(
  `test run ${runId}: ${
    ["TEST_DATABASE_URL", "TEST_REDIS_URL", "TEST_CLICKHOUSE_URL", "TEST_CHROMIUM", "TEST_SHARED_DATA"]
      .map((k) => `${k.replace("TEST_", "").toLowerCase()}=${env[k] ? "yes" : "no"}`).join(" ")
  }`,
);

// Built once, before any test boots the app (parallel boots must not race to build), while the services are set up.
{
  const build = await building;
  if (!build.success) {
    console.error("build failed:\n" + new TextDecoder().decode(build.stderr));
    Deno.exit(1);
  }
}

let code = 1;
try {
  const args = Deno.args.length ? Deno.args : ["tests/"];
  const jobs = Deno.env.get("DENO_JOBS") ?? "4";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--unstable-kv", "--parallel", ...args],
    env: { ...env, DENO_JOBS: jobs },
    stdin: "null",
  }).spawn();
  const stop = () => child.kill("SIGTERM");
  Deno.addSignalListener("SIGINT", stop);
  code = (await child.status).code;
} finally {
  const tests = performance.now();
  // Where a slow run's time went: set-up and tests, then dropping what the run made.
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const spent: string[] = [];
  for (const cleanup of cleanups.reverse()) {
    const t0 = performance.now();
    try {
      const n = await cleanup.run();
      spent.push(`${cleanup.what}${typeof n === "number" ? ` (${n})` : ""} ${s(performance.now() - t0)}`);
    } catch (e) {
      console.error(`cleanup of ${cleanup.what} failed:`, e instanceof Error ? e.message : e);
    }
  }
  console.log(
    `test run ${runId}: ${s(tests - T0)} to the end of the tests, ${s(performance.now() - tests)} clean-up: ${
      spent.join(", ")
    }`,
  );
}
Deno.exit(code);
