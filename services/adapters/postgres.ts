/** Postgres through postgres.js, for DATABASE_URL. */
import type { Database, Transaction } from "../../db/database.ts";

export interface PostgresOptions {
  /** Pool size. */
  max?: number;
  connectTimeoutSeconds?: number;
}

export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<Database> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, {
    // Concurrent transactions share commit flushes; more than a handful of connections is what keeps them busy.
    max: opts.max ?? 20,
    // Bounded so a request meets an outage with a 503 in under 5 s, never a hang.
    connect_timeout: opts.connectTimeoutSeconds ?? 4,
    idle_timeout: 30,
    onnotice: () => {},
    // Dates as Date (default); int8/numeric as strings (default), matching PGlite's setup.
    // json/jsonb parameters as PGlite serialises them: a string is taken as JSON text
    // (postgres.js would encode it again and store a JSON string), anything else is stringified.
    types: {
      json: {
        to: 114,
        from: [114, 3802],
        serialize: (x: unknown) => typeof x === "string" ? x : JSON.stringify(x),
        parse: (x: string) => JSON.parse(x),
      },
    },
  });
  // deno-lint-ignore no-explicit-any
  const wrap = (q: any): Transaction => ({
    async query<T>(text: string, params: unknown[] = []) {
      return [...await q.unsafe(text, params as never[])] as T[];
    },
    async exec(text: string) {
      await q.unsafe(text);
    },
  });
  const base = wrap(sql);
  await base.query("select 1");
  return {
    kind: "postgres",
    query: base.query,
    exec: base.exec,
    transaction: (fn) => sql.begin((tx) => fn(wrap(tx))) as ReturnType<typeof fn>,
    close: () => sql.end({ timeout: 5 }),
  };
}
