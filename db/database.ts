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
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

export interface Transaction extends Queryable {
  exec(sql: string): Promise<void>;
  /**
   * `COPY … FROM STDIN` (text format) fed with `data`, where the driver can (Postgres: about ten times the
   * rows/s of a multi-row INSERT). Absent on PGlite: callers fall back to INSERTs.
   */
  copyIn?(statement: string, data: AsyncIterable<string>): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: "pglite" | "postgres";
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** The connection pool's size and the statements running or waiting on it (for /metrics), where known. */
  pool?(): { max: number; inFlight: number };
}
