/**
 * A migrated database of a test's own, for tests about what is stored rather than about the engine: a copy
 * of the run's Postgres template when the run has Postgres (a fraction of a second), else PGlite in memory
 * (seconds of CPU to start its WASM engine). Tests of PGlite itself open it directly.
 */
import type { Database } from "../../db/database.ts";
import { migrate } from "../../db/migrate.ts";
import { openPglite } from "../../services/adapters/pglite.ts";
import { openPostgres } from "../../services/adapters/postgres.ts";
import { freshPostgresUrl, testServices } from "./services.ts";

export async function testDatabase(tag: string): Promise<Database> {
  if (testServices.postgres && Deno.env.get("TEST_PG_TEMPLATE")) {
    return await openPostgres(await freshPostgresUrl(tag, { migrated: true }), { max: 4 });
  }
  const db = await openPglite("memory://");
  await migrate(db);
  return db;
}
