/** `deno task migrate`: apply pending migrations to the configured database, without serving. */
import { ConfigError, loadConfig } from "../services/config/env.ts";
import { openPglite, pgliteDir } from "../services/adapters/pglite.ts";
import { openPostgres } from "../services/adapters/postgres.ts";
import { migrate } from "./migrate.ts";

try {
  const config = loadConfig(Deno.env.toObject());
  const db = config.databaseUrl ? await openPostgres(config.databaseUrl) : await openPglite(pgliteDir(config.dataDir));
  try {
    const { applied, version } = await migrate(db);
    console.log(
      applied.length
        ? `applied ${applied.join(", ")}; schema version ${version}`
        : `nothing to apply; schema version ${version}`,
    );
  } finally {
    await db.close();
  }
} catch (e) {
  console.error(e instanceof ConfigError ? e.message : `migration failed: ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}
