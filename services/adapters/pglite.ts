/** PGlite: Postgres compiled to WASM, the zero-dependency system of record (data in `${DATA_DIR}/pg`). */
import type { Database, Transaction } from "../../db/database.ts";
import { migrated, type MigrationResult } from "../../db/migrate.ts";
import { openPgliteRemote } from "./pglite_remote.ts";
import { claimDataDir, releaseDataDir } from "./data_dir_lock.ts";
import { batches, copyFromBlob } from "./pglite_copy.ts";
import { bounded } from "../health/registry.ts";

const SHARED_BUFFERS = "8MB";

/** Where PGlite keeps its files under DATA_DIR. */
export const pgliteDir = (dataDir: string): string => `${dataDir}/pg`;
const dataDirOf = (pgDir: string): string => pgDir.replace(/\/pg$/, "") || ".";

let early: { dataDir: string | null; opened: Promise<Migrated> } | null = null;

type Migrated = { db: Database; migration: MigrationResult };

/**
 * Starts opening the embedded database, on a worker thread, before the rest of
 * the app has loaded: its WASM engine and data directory are the longest part
 * of a start and need nothing else, and on a thread of their own they no longer
 * hold up (nor wait for) the loading of the app's modules. The worker applies
 * the migrations too; the database adapter's `openMigratedPglite` takes it.
 */
export function preopenPglite(dataDir: string | null, worker?: Worker): void {
  let opened: Promise<Migrated>;
  try {
    opened = openClaimed(dataDir, () => openPgliteRemote(dataDir, { migrate: true, worker }) as Promise<Migrated>);
  } catch (e) {
    worker?.terminate();
    opened = Promise.reject(e);
  }
  opened.catch(() => {}); // the adapter reports a failure when it asks for it
  early = { dataDir, opened };
}

/**
 * A start that ends before the app took its database (the port is taken, the configuration is wrong): the
 * database `preopenPglite` started is let finish opening, then closed, so that a first start's initialisation of
 * the data folder is not cut off halfway by the process exiting. Bounded by `timeoutMs` (a hung worker must not
 * keep the process from exiting). Nothing preopened: nothing to do.
 */
export async function closePreopenedPglite(timeoutMs = 30_000): Promise<void> {
  if (!early) return;
  const { opened } = early;
  early = null;
  // It did not open (nothing to close, its claim given back), or not in time: either way the start ends.
  await bounded(async () => await (await opened).db.close(), timeoutMs).catch(() => {});
}

/** The database of the app: the one `preopenPglite` started, else opened here; migrated either way. */
export async function openMigratedPglite(dataDir: string | null): Promise<Migrated> {
  if (early && early.dataDir === dataDir) {
    const { opened } = early;
    early = null;
    return await opened;
  }
  return await openClaimed(dataDir, async () => await migrated(await openPglite(dataDir)));
}

/**
 * `open()` with DATA_DIR taken for this process before the files are opened (a second process, another app
 * or a seed, on the same folder is refused: this throws DataDirInUseError), given back if opening fails and
 * when the database closes.
 */
function openClaimed(pgDir: string | null, open: () => Promise<Migrated>): Promise<Migrated> {
  if (!pgDir) return open();
  const dataDir = dataDirOf(pgDir);
  claimDataDir(dataDir, { database: "pglite", role: "app" });
  const released = <T>(e: T) => {
    releaseDataDir(dataDir);
    return e;
  };
  let opening: Promise<Migrated>;
  try {
    opening = open();
  } catch (e) {
    throw released(e);
  }
  return opening.then((m) => {
    const close = m.db.close;
    const closeAndRelease = async () => {
      try {
        await close();
      } finally {
        releaseDataDir(dataDir);
      }
    };
    return { ...m, db: { ...m.db, close: closeAndRelease } };
  }, (e) => Promise.reject(released(e)));
}

/** PGlite on this thread (tests, the CLI tools, and the worker of `preopenPglite`). */
export async function openPglite(dataDir: string | null): Promise<Database> {
  const { PGlite, types } = await import("@electric-sql/pglite");
  // "memory://" is PGlite's in-memory database, not a folder (it left an empty "memory:" folder behind).
  if (dataDir && !dataDir.startsWith("memory://")) await Deno.mkdir(dataDir, { recursive: true });
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
    async copyIn(statement: string, data: AsyncIterable<string>) {
      const copy = copyFromBlob(statement);
      for await (const pieces of batches(data)) await q.query(copy, [], { blob: new Blob(pieces) });
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
