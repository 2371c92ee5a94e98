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
