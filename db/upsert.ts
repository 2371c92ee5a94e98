/**
 * Batched, idempotent upserts of many rows (market and location prices): the fastest path each driver has.
 *
 * - A small call (under BULK_MIN rows): one `INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE`, each
 *   column one array parameter.
 * - A transaction with `copyIn` (Postgres, and PGlite from a blob): the rows are COPYed straight into the
 *   table, the common case of an ingest (new intervals); if one of them exists already or a key repeats
 *   among them (23505: a redelivered or revised batch), that COPY is rolled back to its savepoint and the
 *   last row of each key goes through a temporary staging table instead: COPY into it, then one
 *   `INSERT … SELECT … ON CONFLICT DO UPDATE` that empties it in the same statement.
 * - Without it: the same, first as plain INSERTs (no ON CONFLICT) under a savepoint, which cost about half an
 *   upsert, and as upserts only if a row exists already.
 *
 * Either way a row that is already stored with the same values is left alone, so a re-applied batch changes
 * nothing (not even its `touch` columns), and a call on a Database runs in one transaction: never half-applied.
 * Within one call the last row of a key wins (Postgres refuses to update one row twice in a statement).
 */
import { type Database, inSavepoint, type Queryable, type Transaction } from "./database.ts";
import { copyText, pgArray } from "./sql.ts";

/** Rows per unnest statement; the COPY paths take a call's rows in one stream. */
export const UPSERT_CHUNK = 5000;

/**
 * Fewer rows go as one upsert statement: the bulk path's savepoint, COPY and release are three round trips
 * more than that, which a small batch (a replay's hour, a live interval) does not win back.
 */
export const BULK_MIN = 500;

export type ColumnType = "text" | "timestamptz" | "numeric";
type Value = string | number;

export interface UpsertColumn<T> {
  name: string;
  type: ColumnType;
  value: (row: T) => Value;
}

export interface UpsertSpec<T> {
  table: string;
  /** The columns taken from each row; the key columns among them. */
  columns: readonly UpsertColumn<T>[];
  /** The conflict target (a unique index's columns). */
  key: readonly string[];
  /** Columns with one value for every row of a call (parameters, not repeated per row). */
  fixed?: readonly { name: string; type: ColumnType; value: Value }[];
  /** SQL set on a row that changed, besides the new values (e.g. `ingested_at = now()`). */
  touch?: string;
}

/** Upserts `rows`; returns how many distinct keys were written or found unchanged. */
export async function upsertRows<T>(
  q: Database | Transaction,
  spec: UpsertSpec<T>,
  rows: readonly T[],
): Promise<number> {
  if (!rows.length) return 0;
  if (rows.length < BULK_MIN) {
    const unique = lastPerKey(spec, rows);
    await insertUnnest(q, spec, unique, onConflict(spec));
    return unique.length;
  }
  if ("transaction" in q) return await q.transaction((tx) => bulk(tx, spec, rows));
  return await bulk(q, spec, rows);
}

/**
 * New rows are the common case, and a plain insert of them costs about half an upsert (no speculative
 * insertion, and COPY on Postgres); only when one exists already does the call pay for both.
 */
async function bulk<T>(tx: Transaction, spec: UpsertSpec<T>, rows: readonly T[]): Promise<number> {
  const copy = copyChunks(spec, rows);
  try {
    await inSavepoint(tx, async (sp) => {
      if (sp.copyIn) await sp.copyIn(`COPY ${spec.table} (${names(spec).join(", ")}) FROM STDIN`, copy());
      else await insertUnnest(sp, spec, rows, "");
    });
    // The unique key refused none of them, so no key repeats among them either: there was nothing to narrow
    // to the last row of each key, the step that cost most of a large call's time on the client.
    return rows.length;
  } catch (e) {
    if ((e as { code?: unknown }).code !== "23505") throw e;
  }
  const unique = lastPerKey(spec, rows);
  if (tx.copyIn) await upsertStaged(tx as CopyTx, spec, unique === rows ? copy : copyChunks(spec, unique));
  else await insertUnnest(tx, spec, unique, onConflict(spec));
  return unique.length;
}

/**
 * The last row of each key, in the order keys first appear. A map per key column (nested) rather than one
 * map of joined keys: joining every row's key into a new string was the costliest step of a large call on
 * the client, and a value's own string keeps its hash.
 */
function lastPerKey<T>(spec: UpsertSpec<T>, rows: readonly T[]): T[] {
  const keyCols = spec.key.map((k) => {
    const c = spec.columns.find((c) => c.name === k);
    if (!c) throw new Error(`upsert ${spec.table}: key column ${k} is not among the columns`);
    return c.value;
  });
  const last = keyCols.length - 1;
  // A number and its text are one key to the database.
  const keyOf = (v: Value) => typeof v === "string" ? v : String(v);
  const root = new Map<string, unknown>();
  const out: T[] = [];
  for (const r of rows) {
    let level = root;
    for (let i = 0; i < last; i++) {
      const v = keyOf(keyCols[i](r));
      let next = level.get(v) as Map<string, unknown> | undefined;
      if (!next) level.set(v, next = new Map());
      level = next;
    }
    const v = keyOf(keyCols[last](r));
    const at = level.get(v) as number | undefined;
    if (at === undefined) {
      level.set(v, out.length);
      out.push(r);
    } else out[at] = r;
  }
  return out.length === rows.length ? rows as T[] : out;
}

const names = <T>(
  spec: UpsertSpec<T>,
) => [...spec.columns.map((c) => c.name), ...(spec.fixed ?? []).map((f) => f.name)];

/** `ON CONFLICT … DO UPDATE` that writes only rows whose values differ, so a re-applied batch changes nothing. */
function onConflict<T>(spec: UpsertSpec<T>): string {
  const updated = names(spec).filter((n) => !spec.key.includes(n));
  const set = [...updated.map((n) => `${n} = excluded.${n}`), ...(spec.touch ? [spec.touch] : [])].join(", ");
  const was = updated.map((n) => `${spec.table}.${n}`).join(", ");
  const now = updated.map((n) => `excluded.${n}`).join(", ");
  return `ON CONFLICT (${spec.key.join(", ")}) DO UPDATE SET ${set} WHERE (${was}) IS DISTINCT FROM (${now})`;
}

const fixedParams = <T>(spec: UpsertSpec<T>, first: number) =>
  (spec.fixed ?? []).map((f, i) => `$${first + i}::${f.type}`);

async function insertUnnest<T>(q: Queryable, spec: UpsertSpec<T>, rows: readonly T[], conflict: string) {
  const cols = spec.columns;
  const aliases = cols.map((_, i) => `c${i}`);
  const sql = `INSERT INTO ${spec.table} (${names(spec).join(", ")})
    SELECT ${[...aliases, ...fixedParams(spec, cols.length + 1)].join(", ")}
      FROM unnest(${cols.map((c, i) => `$${i + 1}::${c.type}[]`).join(", ")}) AS t(${aliases.join(", ")})
    ${conflict}`;
  for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
    const chunk = rows.slice(i, i + UPSERT_CHUNK);
    await q.query(sql, [...cols.map((c) => pgArray(chunk.map(c.value))), ...(spec.fixed ?? []).map((f) => f.value)]);
  }
}

type CopyTx = Transaction & Required<Pick<Transaction, "copyIn">>;

/** Through a staging table of this connection, emptied by the statement that reads it. */
async function upsertStaged<T>(tx: CopyTx, spec: UpsertSpec<T>, copy: () => AsyncIterable<string>): Promise<void> {
  const staging = `upsert_${spec.table}`;
  const all = names(spec).join(", ");
  const columns = [...spec.columns, ...(spec.fixed ?? [])].map((c) => `${c.name} ${c.type}`).join(", ");
  await tx.query(`CREATE TEMP TABLE IF NOT EXISTS ${staging} (${columns})`);
  await tx.copyIn(`COPY ${staging} (${all}) FROM STDIN`, copy());
  await tx.query(
    `WITH s AS (DELETE FROM ${staging} RETURNING ${all})
     INSERT INTO ${spec.table} (${all}) SELECT ${all} FROM s ${onConflict(spec)}`,
  );
}

/** Rows per piece of a COPY stream. */
const COPY_CHUNK = 2000;

/**
 * A call's rows as COPY text, made a piece at a time as the stream takes them, so the server parses the first
 * rows while the rest are written out (a large call was the text of all its rows first, then the server's work).
 * Pieces are kept, so a second COPY of the same rows (into the staging table) does not make them again.
 */
function copyChunks<T>(spec: UpsertSpec<T>, rows: readonly T[]): () => AsyncIterable<string> {
  const fields = spec.columns.map((c) => c.value);
  const fixed = (spec.fixed ?? []).map((f) => f.value);
  const made: string[] = [];
  return async function* () {
    for (let i = 0, k = 0; i < rows.length; i += COPY_CHUNK, k++) {
      yield made[k] ??= copyText(rows.slice(i, i + COPY_CHUNK), fields, fixed);
    }
  };
}
