/** PGlite: Postgres compiled to WASM, the zero-dependency system of record (data in `${DATA_DIR}/pg`). */
import type { Database, Transaction } from "../../db/database.ts";
import { openPgliteRemote } from "./pglite_remote.ts";

const SHARED_BUFFERS = "8MB";

let early: { dataDir: string | null; db: Promise<Database> } | null = null;

/**
 * Starts opening the embedded database, on a worker thread, before the rest of
 * the app has loaded: its WASM engine and data directory are the longest part
 * of a start and need nothing else, and on a thread of their own they no longer
 * hold up (nor wait for) the loading of the app's modules. The database
 * adapter's `openPglite` then takes this one.
 */
export function preopenPglite(dataDir: string | null): void {
  // Only the app preopens, and its database adapter migrates what it opens: the worker does it first.
  const db = openPgliteRemote(dataDir, { migrate: true });
  db.catch(() => {}); // the adapter reports a failure when it asks for it
  early = { dataDir, db };
}

export function openPglite(dataDir: string | null): Promise<Database> {
  if (early && early.dataDir === dataDir) {
    const { db } = early;
    early = null;
    return db;
  }
  return openPgliteHere(dataDir);
}

/** PGlite on this thread (tests, the CLI tools, and the worker of `preopenPglite`). */
export async function openPgliteHere(dataDir: string | null): Promise<Database> {
  const { PGlite, types } = await import("@electric-sql/pglite");
  if (dataDir) await Deno.mkdir(dataDir, { recursive: true });
  // int8 and numeric as strings, like postgres.js: exact, never rounded through a float.
  // Passed with every query: PGlite 0.5 ignores the `parsers` option of its constructor.
  const parsers = { [types.INT8]: (v: string) => v, [types.NUMERIC]: (v: string) => v };
  const db = new PGlite(dataDir ?? undefined, {
    // Postgres zeroes its shared buffers at every start, and in WASM that costs ~3.5 ms per MB: the default
    // 128 MB was half a second of each start. The host's page cache still holds the data files, so a
    // smaller pool costs reads, not disk I/O.
    startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${SHARED_BUFFERS}`],
  });
  await db.waitReady;
  const wrap = (q: { query: typeof db.query; exec: typeof db.exec }): Transaction => ({
    async query<T>(text: string, params?: unknown[]) {
      return (await q.query<T>(text, params as never[], { parsers })).rows;
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });
  const base = wrap(db);
  return {
    kind: "pglite",
    query: base.query,
    exec: base.exec,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}
