/**
 * PGlite on a thread of its own (a Web Worker): the engine's start is ~0.5 s of
 * synchronous WASM, which on the main thread queued behind, and held up, the
 * loading of the app's modules. The main thread talks to it through
 * `pglite_remote.ts`; this side owns the database and its open transactions.
 */
/// <reference lib="deno.worker" />
import type { Database, Transaction } from "../../db/database.ts";
import { loadMigrations, migrate } from "../../db/migrate.ts";
import { openPglite } from "./pglite.ts";
import type { Reply, Request, SerializedError } from "./pglite_remote.ts";

// The engine's module starts loading now, before the "open" message comes (openPglite imports the same).
import("@electric-sql/pglite").catch(() => {});

let db: Database | null = null;
/** Open transactions by id: each waits inside `db.transaction` until the main thread ends it. */
const txs = new Map<number, { tx: Transaction; end: (commit: boolean) => void; done: Promise<void> }>();

/** Thrown inside a transaction's callback to roll it back on purpose. */
const ROLLBACK = Symbol("rollback");

function serialize(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: "Error", message: String(e) };
  const out: SerializedError = { name: e.name, message: e.message };
  // A DatabaseError's fields (code is the SQLSTATE callers branch on).
  for (const k of ["code", "detail", "hint", "constraint", "table", "column", "schema", "severity", "position"]) {
    const v = (e as unknown as Record<string, unknown>)[k];
    if (typeof v === "string" || typeof v === "number") out[k] = v;
  }
  return out;
}

const reply = (r: Reply) => self.postMessage(r);

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case "open": {
      // The migration files are read while the engine starts (it waits on its WASM compile in between);
      // they are applied here, next to the data, without a message per statement.
      const migrations = req.migrate ? loadMigrations() : undefined;
      migrations?.catch(() => {}); // reported by migrate() below
      db = await openPglite(req.dataDir);
      return migrations ? await migrate(db, undefined, migrations) : null;
    }
    case "query":
      return await (req.tx ? txOf(req.tx) : open()).query(req.text, req.params);
    case "exec":
      await (req.tx ? txOf(req.tx) : open()).exec(req.sql);
      return null;
    case "copy":
      // Only a transaction copies (Transaction.copyIn), as on Postgres.
      await txOf(req.tx).copyIn!(req.text, pieces(req.data));
      return null;
    case "begin":
      return await begin(req.id);
    case "end": {
      const t = txs.get(req.tx);
      if (!t) throw new Error(`no open transaction ${req.tx}`);
      txs.delete(req.tx);
      t.end(req.commit);
      try {
        await t.done;
      } catch (e) {
        if (e !== ROLLBACK) throw e;
      }
      return null;
    }
    case "close":
      await db?.close();
      db = null;
      return null;
  }
}

function open(): Database {
  if (!db) throw new Error("the database is not open");
  return db;
}

function txOf(id: number): Transaction {
  const t = txs.get(id);
  if (!t) throw new Error(`no open transaction ${id}`);
  return t.tx;
}

/** Starts a transaction that stays open (its callback waiting) until "end" says commit or roll back. */
function begin(id: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let end!: (commit: boolean) => void;
    const decided = new Promise<boolean>((r) => (end = r));
    let started = false;
    // deno-lint-ignore prefer-const
    let outcome: Promise<void>;
    outcome = open().transaction(async (tx) => {
      started = true;
      txs.set(id, { tx, end, done: outcome });
      resolve(id);
      if (!(await decided)) throw ROLLBACK;
    });
    // Before the callback ran (BEGIN failed), the caller of "begin" hears of it; after, the caller of "end".
    outcome.catch((e) => {
      if (!started) reject(e);
    });
  });
}

self.onmessage = async (e: MessageEvent<Request>) => {
  const req = e.data;
  try {
    reply({ id: req.id, ok: true, value: await handle(req) });
  } catch (err) {
    reply({ id: req.id, ok: false, error: serialize(err) });
  }
};

async function* pieces(data: string[]): AsyncIterable<string> {
  yield* data;
}
