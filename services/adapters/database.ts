/** The system of record as a required health-registry service: PGlite by default, Postgres with DATABASE_URL. */
import { type Database, withCommitHooks } from "../../db/database.ts";
import { migrated } from "../../db/migrate.ts";
import type { Config } from "../config/env.ts";
import type { ServiceAdapter } from "../health/types.ts";
import { log } from "../log/logger.ts";
import { openMigratedPglite, pgliteDir } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";

export interface DatabaseAdapter extends ServiceAdapter {
  /** The open database; throws DatabaseUnavailableError before it is up. */
  db(): Database;
  kind(): "pglite" | "postgres";
  migrationVersion(): number | null;
}

export class DatabaseUnavailableError extends Error {
  constructor() {
    super("the database is not available yet");
    this.name = "DatabaseUnavailableError";
  }
}

export function createDatabaseAdapter(
  config: Pick<Config, "databaseUrl" | "dataDir" | "onDenoDeploy">,
): DatabaseAdapter {
  let db: Database | null = null;
  let version: number | null = null;
  const kind = config.databaseUrl ? "postgres" : "pglite";
  return {
    name: "database",
    required: true,
    configured: true,
    features: ["system of record", kind === "postgres" ? "Postgres" : "PGlite (embedded)"],
    async start(signal) {
      const { db: opened, migration } = config.databaseUrl
        ? await migrated(await openPostgres(config.databaseUrl))
        : await openMigratedPglite(config.onDenoDeploy ? null : pgliteDir(config.dataDir));
      if (signal.aborted) {
        await opened.close();
        throw signal.reason;
      }
      if (migration.applied.length) {
        log.info("migrations applied", { applied: migration.applied, version: migration.version });
      }
      version = migration.version;
      db = withCommitHooks(opened);
    },
    async check() {
      if (!db) throw new DatabaseUnavailableError();
      await db.query("SELECT 1");
    },
    async stop() {
      const d = db;
      db = null;
      await d?.close();
    },
    db() {
      if (!db) throw new DatabaseUnavailableError();
      return db;
    },
    kind: () => kind,
    migrationVersion: () => version,
  };
}
