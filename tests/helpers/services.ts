/**
 * Which real services this test process may use. `tests/run.ts` probes them once
 * per run, creates a database / key prefix of the run's own, and passes them in
 * `TEST_*` variables. A test that needs a missing service is skipped with a
 * message, except in CI (`CI=true`), where a missing service is a failure.
 */
export type ServiceName = "postgres" | "redis" | "clickhouse" | "chromium" | "shared-data";

export const testServices = {
  postgres: Deno.env.get("TEST_DATABASE_URL") || undefined,
  /** A maintenance connection (database `postgres`) for tests that create or drop databases. */
  postgresAdmin: Deno.env.get("TEST_PG_ADMIN_URL") || undefined,
  redis: Deno.env.get("TEST_REDIS_URL") || undefined,
  redisPrefix: Deno.env.get("TEST_REDIS_PREFIX") || `optibid-test-${Deno.pid}:`,
  clickhouse: Deno.env.get("TEST_CLICKHOUSE_URL") || undefined,
  clickhouseDb: Deno.env.get("TEST_CLICKHOUSE_DB") || undefined,
  chromium: Deno.env.get("TEST_CHROMIUM") || undefined,
  /** `tests/run.ts` sets it; a bare `deno test` falls back to `../shared/data` beside the repository. */
  sharedData: Deno.env.get("TEST_SHARED_DATA") || defaultSharedData(),
};

function defaultSharedData(): string | undefined {
  const dir = new URL("../../../shared/data/", import.meta.url);
  try {
    return Deno.statSync(dir).isDirectory ? dir.pathname : undefined;
  } catch {
    return undefined; // absent, or no read permission: tests that need it skip (or fail in CI)
  }
}

export const inCI = ["true", "1"].includes(Deno.env.get("CI") ?? "");

/*
 * Test files run concurrently (tests/run.ts: `deno test --parallel`), so nothing a test writes may be
 * shared with another file: each test that needs Postgres, Redis or ClickHouse takes a database or key
 * prefix of its own from the helpers below. Their names start with the run's, so tests/run.ts drops them
 * with the run's at the end. The migrated template (TEST_PG_TEMPLATE) is only ever copied, never opened.
 */

const suffix = () => crypto.randomUUID().replaceAll("-", "").slice(0, 10);

/**
 * A Postgres database of the caller's own, as a URL. `migrated`: a copy of the run's migrated template
 * (about 0.2 s, no migration to run), else empty (for tests of the migrations themselves).
 */
export async function freshPostgresUrl(tag: string, opts: { migrated?: boolean } = {}): Promise<string> {
  const base = new URL(testServices.postgres!);
  const name = `${base.pathname.slice(1)}_${tag.replace(/\W/g, "").slice(0, 12)}_${suffix()}`;
  const template = opts.migrated ? Deno.env.get("TEST_PG_TEMPLATE") : undefined;
  const { default: postgres } = await import("postgres");
  const admin = postgres(testServices.postgresAdmin!, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ""}`);
  } finally {
    await admin.end();
  }
  base.pathname = `/${name}`;
  return base.toString();
}

/**
 * The database of an app a test spawns (tests/helpers/spawn_app.ts) when the test is not about the database:
 * a Postgres database of its own when the run has Postgres (no WASM engine to start, no migrations to run:
 * seconds of CPU per app), else nothing, and the app opens PGlite in its data folder.
 */
export async function appDatabaseEnv(tag: string): Promise<Record<string, string>> {
  if (!testServices.postgres || !Deno.env.get("TEST_PG_TEMPLATE")) return {};
  return { DATABASE_URL: await freshPostgresUrl(tag, { migrated: true }) };
}

/** A Redis key prefix (and pub/sub channel prefix) of the caller's own. */
export function freshRedisPrefix(tag: string): string {
  return `${testServices.redisPrefix}${tag}-${suffix()}:`;
}

/** A ClickHouse database of the caller's own, as the URL the app takes (`http://host:port/db`). */
export async function freshClickhouseUrl(tag: string): Promise<string> {
  const name = `${testServices.clickhouseDb}_${tag.replace(/\W/g, "").slice(0, 12)}_${suffix()}`;
  const res = await fetch(testServices.clickhouse!, { method: "POST", body: `CREATE DATABASE ${name}` });
  const text = await res.text();
  if (!res.ok) throw new Error(`CREATE DATABASE ${name}: ${res.status} ${text}`);
  return `${testServices.clickhouse}/${name}`;
}

function have(name: ServiceName): boolean {
  switch (name) {
    case "postgres":
      return Boolean(testServices.postgres);
    case "redis":
      return Boolean(testServices.redis);
    case "clickhouse":
      return Boolean(testServices.clickhouse);
    case "chromium":
      return Boolean(testServices.chromium);
    case "shared-data":
      return Boolean(testServices.sharedData);
  }
}

const warned = new Set<string>();

/** Deno.test that needs real services: skipped (with a message) without them, failed in CI. */
export function serviceTest(
  name: string,
  needs: ServiceName[],
  fn: (t: Deno.TestContext) => void | Promise<void>,
  options: Omit<Deno.TestDefinition, "name" | "fn" | "ignore"> = {},
): void {
  const missing = needs.filter((n) => !have(n));
  if (missing.length === 0) {
    Deno.test({ name, fn, ...options });
  } else if (inCI) {
    Deno.test({
      name,
      fn() {
        throw new Error(`${missing.join(", ")} not reachable, and CI requires it (see tests/run.ts)`);
      },
    });
  } else {
    const key = missing.join(",");
    if (!warned.has(key)) {
      warned.add(key);
      console.warn(`skipping tests that need ${key}: not reachable on this machine`);
    }
    Deno.test({ name: `${name} (skipped: needs ${key})`, ignore: true, fn });
  }
}
