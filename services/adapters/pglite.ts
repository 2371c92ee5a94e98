/** PGlite: Postgres compiled to WASM, the zero-dependency system of record (data in `${DATA_DIR}/pg`). */
import type { Database, Transaction } from "../../db/database.ts";

export async function openPglite(dataDir: string | null): Promise<Database> {
  const { PGlite, types } = await import("@electric-sql/pglite");
  if (dataDir) await Deno.mkdir(dataDir, { recursive: true });
  // int8 and numeric as strings, like postgres.js: exact, never rounded through a float.
  // Passed with every query: PGlite 0.5 ignores the `parsers` option of its constructor.
  const parsers = { [types.INT8]: (v: string) => v, [types.NUMERIC]: (v: string) => v };
  const db = new PGlite(dataDir ?? undefined);
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
