/**
 * One query interface over PGlite (embedded default) and Postgres (DATABASE_URL):
 * `$1`-style parameters, transactions, multi-statement exec for migrations.
 *
 * Types agree between the two drivers: int8 (bigint, count(*)) and numeric come
 * back as strings on both (money and MWh are numeric: never rounded through a
 * float), int4 and float8 as numbers, timestamptz as Date. A query that wants a
 * number from a count or a numeric casts it (`::int`, `::float8`).
 */
export interface Queryable {
  query<T = Record<string, unknown>>(text: string, params?: unknown[], opts?: QueryOptions): Promise<T[]>;
}

export interface QueryOptions {
  /**
   * Postgres: `false` sends the statement unnamed, parsed and planned at each call, instead of prepared on its
   * connection (services/adapters/prepared_texts.ts). For large texts that vary by their inlined constants (the
   * analytics panels: one per zone, market and bucket), whose prepared forms would each sit in every
   * connection's memory (~150 KB apiece) for a call that plans in a fraction of its run. PGlite ignores it.
   */
  prepare?: boolean;
}

export interface Transaction extends Queryable {
  exec(sql: string): Promise<void>;
  /**
   * `COPY … FROM STDIN` (text format) fed with `data`, whose pieces end at row boundaries (Postgres: about ten
   * times the rows/s of a multi-row INSERT; PGlite: a COPY from a blob per few MB of pieces, ~1.6× its INSERTs).
   * Absent where the driver cannot: callers fall back to INSERTs.
   */
  copyIn?(statement: string, data: AsyncIterable<string>): Promise<void>;
  /**
   * Runs `fn` once this transaction has committed (never after a rollback): for telling others about
   * what it wrote, who would otherwise look before it is visible. Present on the app's database.
   */
  afterCommit?(fn: () => void): void;
  /**
   * Runs `fn` in a savepoint of this transaction (Postgres: postgres.js's own). Where present it must be used
   * (`inSavepoint`): postgres.js fails the whole transaction at its end with any statement that failed in it,
   * even one the caller caught and rolled back to a savepoint of its own.
   */
  savepoint?<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
}

/**
 * Runs `fn` in a savepoint: if it throws, what it wrote is rolled back and the error rethrown, and the
 * transaction goes on. Commit hooks `fn` registers run only if the savepoint was kept.
 */
export async function inSavepoint<T>(tx: Transaction, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  const hooks: (() => void)[] = [];
  const inner = (
    s: Transaction,
  ): Transaction => (tx.afterCommit ? { ...s, afterCommit: (f) => void hooks.push(f) } : s);
  let result: T;
  if (tx.savepoint) result = await tx.savepoint((s) => fn(inner(s)));
  else {
    await tx.query("SAVEPOINT app_savepoint");
    try {
      result = await fn(inner(tx));
    } catch (e) {
      await tx.query("ROLLBACK TO SAVEPOINT app_savepoint");
      throw e;
    }
    await tx.query("RELEASE SAVEPOINT app_savepoint");
  }
  for (const h of hooks) tx.afterCommit!(h);
  return result;
}

export interface Database extends Queryable {
  readonly kind: "pglite" | "postgres";
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** The connection pool's size and the statements running or waiting on it (for /metrics), where known. */
  pool?(): { max: number; inFlight: number };
}

/**
 * Runs `fn` once what `q` wrote is visible to others: after the commit when `q` is a transaction of the app's
 * database (`afterCommit`), else at once — a database (not a transaction) has committed by now, and a
 * transaction without hooks is a handle opened outside the app (a script, a test), for which at once is the
 * best it can do.
 */
export function whenCommitted(q: Queryable, fn: () => void): void {
  const tx = q as Partial<Transaction>;
  if (typeof tx.afterCommit === "function") tx.afterCommit(fn);
  else fn();
}

/**
 * The database with `afterCommit` on its transactions. Hooks run after the commit resolved, in order; one
 * that throws is ignored: the transaction is committed, whatever a listener does.
 */
export function withCommitHooks(db: Database): Database {
  return {
    ...db,
    async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      const hooks: (() => void)[] = [];
      const result = await db.transaction((tx) => fn({ ...tx, afterCommit: (f) => void hooks.push(f) }));
      for (const f of hooks) {
        try {
          f();
        } catch { /* a listener's failure is its own: the transaction is committed */ }
      }
      return result;
    },
  };
}
