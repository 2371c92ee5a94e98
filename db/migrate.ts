/**
 * SQL migrations `db/migrations/NNN_name.sql`, applied in order, each in its own
 * transaction, recorded in `schema_migrations` with a checksum. A transaction-level
 * advisory lock makes instances that start together apply each one exactly once.
 */
import type { Database, Queryable } from "./database.ts";
import { sha256Hex } from "../services/crypto/sha256.ts";

const LOCK_KEY = 7_240_119; // any constant shared by every instance of this app

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

export const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const out: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".sql")) continue;
    const m = entry.name.match(/^(\d{3})_([\w-]+)\.sql$/);
    if (!m) throw new MigrationError(`migration file "${entry.name}" must be named NNN_name.sql`);
    const sql = await Deno.readTextFile(new URL(entry.name, dir));
    out.push({ version: Number(m[1]), name: m[2], sql, checksum: await sha256Hex(sql) });
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) {
    if (out[i].version === out[i - 1].version) {
      throw new MigrationError(`two migrations have version ${out[i].version}`);
    }
  }
  return out;
}

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** What `schema_migrations` holds (checksum by version), or null before the first migration created it. */
async function appliedChecksums(q: Queryable): Promise<Map<number, string> | null> {
  try {
    const rows = await q.query<{ version: number; checksum: string }>(
      "SELECT version, checksum FROM schema_migrations",
    );
    return new Map(rows.map((r) => [Number(r.version), r.checksum]));
  } catch (e) {
    if ((e as { code?: string }).code === "42P01") return null; // undefined_table: a new database
    throw e;
  }
}

export interface MigrationResult {
  /** Migrations applied now, as `NNN_name`. */
  applied: string[];
  version: number;
}

/** A database just opened, with its migrations applied; closed again if they fail. */
export async function migrated(db: Database): Promise<{ db: Database; migration: MigrationResult }> {
  try {
    return { db, migration: await migrate(db) };
  } catch (e) {
    await db.close().catch(() => {});
    throw e;
  }
}

export async function migrate(
  db: Database,
  dir: URL = MIGRATIONS_DIR,
  loaded?: Promise<Migration[]>,
): Promise<MigrationResult> {
  const migrations = await (loaded ?? loadMigrations(dir));
  const applied: string[] = [];
  // Nearly every start has nothing to apply: one read, no transaction, no lock. Applied rows are never
  // removed, so a read that finds every file applied with its checksum is the answer whatever another
  // instance is doing; anything else goes the careful way below.
  const current = await appliedChecksums(db);
  if (current && migrations.every((m) => current.get(m.version) === m.checksum)) {
    return { applied, version: Math.max(0, ...current.keys()) };
  }
  // The check again under the lock, in one transaction: the xact lock serialises instances.
  const checksums = await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCK_KEY]);
    await tx.exec(BOOKKEEPING);
    return (await appliedChecksums(tx))!; // the table exists: BOOKKEEPING just made sure
  });
  const pending = migrations.filter((m) => checksums.get(m.version) !== m.checksum);
  // A changed file is found below, in order, under the lock, exactly as when something is to apply.
  for (const m of pending) {
    await db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCK_KEY]);
      const [row] = await tx.query<{ checksum: string }>(
        "SELECT checksum FROM schema_migrations WHERE version = $1",
        [m.version],
      );
      if (row) {
        if (row.checksum !== m.checksum) {
          throw new MigrationError(
            `migration ${String(m.version).padStart(3, "0")}_${m.name}.sql changed after it was applied; ` +
              "add a new migration instead of editing an applied one",
          );
        }
        return;
      }
      await tx.exec(m.sql);
      await tx.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
        m.version,
        m.name,
        m.checksum,
      ]);
      applied.push(`${String(m.version).padStart(3, "0")}_${m.name}`);
    });
  }
  const [{ version }] = await db.query<{ version: number | null }>(
    "SELECT max(version)::int AS version FROM schema_migrations",
  );
  return { applied, version: version ?? 0 };
}
