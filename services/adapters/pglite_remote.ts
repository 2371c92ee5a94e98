/**
 * The main thread's side of PGlite on a worker (see pglite_worker.ts): the same
 * `Database` interface, each call a message. Rows, parameters and errors cross
 * by structured clone, so Dates, arrays and JSON values arrive as they left;
 * an error keeps its SQLSTATE `code` and the other fields callers read.
 */
import type { Database, Transaction } from "../../db/database.ts";
import type { MigrationResult } from "../../db/migrate.ts";
import { batches } from "./pglite_copy.ts";

export type Request =
  | { id: number; op: "open"; dataDir: string | null; migrate?: boolean }
  | { id: number; op: "query"; text: string; params?: unknown[]; tx?: number }
  | { id: number; op: "exec"; sql: string; tx?: number }
  | { id: number; op: "copy"; text: string; data: string[]; tx: number }
  | { id: number; op: "begin" }
  | { id: number; op: "end"; tx: number; commit: boolean }
  | { id: number; op: "close" };

export interface SerializedError {
  name: string;
  message: string;
  [field: string]: string | number;
}

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

type Call = Request extends infer R ? R extends { id: number } ? Omit<R, "id"> : never : never;

function revive(e: SerializedError): Error {
  const err = Object.assign(new Error(e.message), e);
  err.name = e.name;
  return err;
}

/**
 * Opens PGlite on a worker thread. Resolves once the engine is up (or rejects with its error); with
 * `migrate`, once the migrations are applied too (on the worker: see pglite_worker.ts), with what they did.
 */
export async function openPgliteRemote(
  dataDir: string | null,
  opts: { migrate?: boolean; worker?: Worker } = {},
): Promise<{ db: Database; migration: MigrationResult | null }> {
  // A caller may have started the worker already, to have its modules loading sooner (main.ts does).
  const worker = opts.worker ?? new Worker(new URL("./pglite_worker.ts", import.meta.url), { type: "module" });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 1;
  let broken: Error | null = null;

  const fail = (e: Error) => {
    broken = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.onmessage = (e: MessageEvent<Reply>) => {
    const r = e.data;
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    if (r.ok) p.resolve(r.value);
    else p.reject(revive(r.error));
  };
  worker.onerror = (e) => {
    // An uncaught error in the worker would otherwise end this process too.
    e.preventDefault();
    fail(new Error(`the PGlite worker failed: ${e.message}`));
    worker.terminate();
  };

  const call = <T>(msg: Call): Promise<T> => {
    if (broken) return Promise.reject(broken);
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...msg, id });
    });
  };

  let migration: MigrationResult | null;
  try {
    migration = await call<MigrationResult | null>({ op: "open", dataDir, migrate: opts.migrate ?? false });
  } catch (e) {
    worker.terminate();
    throw e;
  }

  const on = (tx?: number): Transaction => ({
    query: <T>(text: string, params?: unknown[]) => call<T[]>({ op: "query", text, params, tx }),
    exec: async (sql: string) => {
      await call({ op: "exec", sql, tx });
    },
    // In a transaction only, as on Postgres. The rows cross as the stream's pieces; the worker makes the blob.
    ...(tx
      ? {
        copyIn: async (text: string, data: AsyncIterable<string>) => {
          for await (const pieces of batches(data)) await call({ op: "copy", text, data: pieces, tx });
        },
      }
      : {}),
  });
  const base = on();
  let closed = false;
  const db: Database = {
    kind: "pglite",
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      const tx = await call<number>({ op: "begin" });
      let result: T;
      try {
        result = await fn(on(tx));
      } catch (e) {
        await call({ op: "end", tx, commit: false }).catch(() => {});
        throw e;
      }
      await call({ op: "end", tx, commit: true });
      return result;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await call({ op: "close" });
      } finally {
        worker.terminate();
        fail(new Error("the database is closed"));
      }
    },
  };
  return { db, migration };
}
