/**
 * One query interface over PGlite and Postgres (db/database.ts): the same contract,
 * run on each. Queries with `$n` parameters and agreed types, transactions that roll
 * back on error, and migrations (db/migrate.ts) applied in order, once, recorded in
 * schema_migrations, refusing an edited migration; on Postgres, two instances
 * migrating at once apply each migration once (the advisory lock).
 *
 * PGlite costs seconds to initialise, so one in-memory instance serves the whole file
 * (its schema is reset between migration cases). Postgres uses the run's database for
 * queries and databases of its own, named after the run's, for migrations.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { type Database, inSavepoint, withCommitHooks } from "../../db/database.ts";
import { loadMigrations, migrate, MigrationError } from "../../db/migrate.ts";
import { openPglite } from "../../services/adapters/pglite.ts";
import { BULK_MIN, upsertRows } from "../../db/upsert.ts";
import { openPgliteRemote } from "../../services/adapters/pglite_remote.ts";
import { openPostgres } from "../../services/adapters/postgres.ts";
import { serviceTest, testServices } from "../helpers/services.ts";

// ---------------------------------------------------------------- migration fixtures

/** A directory of migration files; `files` maps file name → SQL. */
async function migrationsDir(
  files: Record<string, string>,
): Promise<{ url: URL; write(name: string, sql: string): Promise<void>; remove(): Promise<void> }> {
  const path = await Deno.makeTempDir({ prefix: "optibid-migrations-" });
  const url = new URL(`file://${path}/`);
  const write = (name: string, sql: string) => Deno.writeTextFile(new URL(name, url), sql);
  for (const [name, sql] of Object.entries(files)) await write(name, sql);
  return { url, write, remove: () => Deno.remove(path, { recursive: true }) };
}

const FIXTURES = {
  "001_accounts.sql": `CREATE TABLE accounts (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE applied_log (version integer NOT NULL);
INSERT INTO applied_log VALUES (1);
INSERT INTO accounts VALUES (1, 'first');`,
  // Depends on 001, and is slow enough for two instances migrating at once to overlap.
  "002_balance.sql": `ALTER TABLE accounts ADD COLUMN balance numeric(14, 2) NOT NULL DEFAULT 0;
SELECT pg_sleep(0.2);
INSERT INTO applied_log VALUES (2);`,
  "010_later.sql": `INSERT INTO applied_log VALUES (10);
UPDATE accounts SET balance = 12.50 WHERE id = 1;`,
};

// ---------------------------------------------------------------- the contract

interface Target {
  /** A database for query tests (may be shared; tests use tables of their own). */
  db(): Database;
  /** A database with an empty schema, for migration tests. */
  fresh(): Promise<Database>;
}

const table = () => `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;

async function queryContract(t: Deno.TestContext, target: Target): Promise<void> {
  await t.step("upsertRows in bulk: new rows by COPY, then revisions and new rows together (conflicts)", async () => {
    const db = target.db();
    const name = table();
    await db.exec(`CREATE TABLE ${name} (k text, at timestamptz, v numeric(12,4) NOT NULL, note text,
                    src text NOT NULL, touched boolean NOT NULL DEFAULT false, PRIMARY KEY (k, at))`);
    type Row = { k: string; at: string; v: number; note: string };
    const spec = {
      table: name,
      columns: [
        { name: "k", type: "text", value: (r: Row) => r.k },
        { name: "at", type: "timestamptz", value: (r: Row) => r.at },
        { name: "v", type: "numeric", value: (r: Row) => r.v },
        { name: "note", type: "text", value: (r: Row) => r.note },
      ],
      key: ["k", "at"],
      fixed: [{ name: "src", type: "text", value: "test" }],
      touch: "touched = true",
    } as const;
    // Every engine's transactions COPY (db/upsert.ts takes that path when they do).
    await db.transaction((tx) => Promise.resolve(assert.equal(typeof tx.copyIn, "function")));
    const at = (i: number) => new Date(Date.UTC(2025, 0, 1, 0, 5 * i)).toISOString();
    // Text COPY must escape what its format gives meaning to: tabs, newlines, backslashes.
    const first: Row[] = Array.from({ length: BULK_MIN + 100 }, (_, i) => ({
      k: i % 2 ? "a" : "b\tc",
      at: at(i),
      v: i / 4,
      note: `line ${i}\twith\ttabs\nand \\ a backslash`,
    }));
    assert.equal(await upsertRows(db, spec, first), first.length);
    const revised = [...first.slice(0, 50).map((r) => ({ ...r, v: r.v + 1000 })), {
      k: "z",
      at: at(0),
      v: -1.5,
      note: "new",
    }];
    assert.equal(await upsertRows(db, spec, [...revised, ...first.slice(50, BULK_MIN)]), BULK_MIN + 1);
    const rows = await db.query<{ k: string; v: string; note: string; touched: boolean }>(
      `SELECT k, v::text AS v, note, touched FROM ${name} ORDER BY at, k`,
    );
    assert.equal(rows.length, first.length + 1);
    assert.equal(rows.filter((r) => r.touched).length, 50, "only the changed rows were touched");
    assert.deepEqual(rows.find((r) => r.k === "z"), { k: "z", v: "-1.5000", note: "new", touched: false });
    assert.equal(rows[0].note, first[0].note);
    assert.equal(Number(rows.find((r) => r.k === first[2].k && r.v === "1000.5000")?.v), 1000.5);
    await db.exec(`DROP TABLE ${name}`);
  });

  await t.step("query: $n parameters and the agreed types", async () => {
    const db = target.db();
    const [row] = await db.query(
      `SELECT $1::int AS i, $2::text AS t, $3::text AS nothing, 42::int8 AS big, count(*) AS n,
              12.50::numeric AS num, 0.5::float8 AS f, true AS b, '2026-01-02T03:04:05Z'::timestamptz AS ts,
              $4::int[] AS arr, $1::int + 1 AS again`,
      [7, "Zürich", null, [1, 2, 3]],
    );
    assert.deepEqual(row, {
      i: 7,
      t: "Zürich",
      nothing: null,
      big: "42", // int8 as a string on both: exact
      n: "1", // count(*) is int8 too
      num: "12.50", // numeric as a string, never rounded through a float
      f: 0.5,
      b: true,
      ts: new Date("2026-01-02T03:04:05Z"),
      arr: [1, 2, 3],
      again: 8,
    });
    assert.equal(Object.getPrototypeOf(row), Object.prototype, "rows are plain objects");
    assert.deepEqual(await db.query("SELECT 1 AS x WHERE false"), []);
  });

  await t.step("query: jsonb parameters are the same whether given as a value or as JSON text", async () => {
    const db = target.db();
    const [row] = await db.query<{ a: unknown; b: unknown; c: unknown }>(
      "SELECT $1::jsonb AS a, $2::jsonb AS b, $3::jsonb AS c",
      [{ zone: "PJM", mw: [1.5] }, JSON.stringify({ zone: "PJM", mw: [1.5] }), JSON.stringify("text")],
    );
    assert.deepEqual(row.a, { zone: "PJM", mw: [1.5] });
    assert.deepEqual(row.b, { zone: "PJM", mw: [1.5] }, "JSON text is parsed, not stored as a JSON string");
    assert.equal(row.c, "text");
  });

  await t.step("query: errors reject with the SQLSTATE code", async () => {
    const db = target.db();
    const name = table();
    await db.exec(`CREATE TABLE ${name} (id integer PRIMARY KEY)`);
    try {
      await db.query(`INSERT INTO ${name} VALUES ($1)`, [1]);
      await assert.rejects(db.query(`INSERT INTO ${name} VALUES ($1)`, [1]), { code: "23505" });
      await assert.rejects(db.query("SELECT 1/0"), { code: "22012" });
      await assert.rejects(db.query("SELECT * FROM no_such_table"), { code: "42P01" });
      // The database is still usable afterwards.
      assert.deepEqual(await db.query(`SELECT id FROM ${name}`), [{ id: 1 }]);
    } finally {
      await db.exec(`DROP TABLE ${name}`);
    }
  });

  await t.step("transaction: commits and returns the function's value", async () => {
    const db = target.db();
    const name = table();
    await db.exec(`CREATE TABLE ${name} (id integer PRIMARY KEY, v text)`);
    try {
      const result = await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${name} VALUES ($1, $2)`, [1, "a"]);
        await tx.exec(`INSERT INTO ${name} VALUES (2, 'b'); INSERT INTO ${name} VALUES (3, 'c')`);
        const rows = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${name}`);
        return rows[0].n;
      });
      assert.equal(result, 3, "the transaction sees its own writes");
      assert.deepEqual(await db.query(`SELECT id FROM ${name} ORDER BY id`), [{ id: 1 }, { id: 2 }, { id: 3 }]);
    } finally {
      await db.exec(`DROP TABLE ${name}`);
    }
  });

  await t.step("transaction: an error rolls every write back and reaches the caller", async () => {
    const db = target.db();
    const name = table();
    await db.exec(`CREATE TABLE ${name} (id integer PRIMARY KEY)`);
    try {
      await db.query(`INSERT INTO ${name} VALUES (1)`);
      class Boom extends Error {}
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${name} VALUES ($1)`, [2]);
          await tx.exec(`UPDATE ${name} SET id = 100 WHERE id = 1`);
          throw new Boom("application error");
        }),
        Boom,
      );
      // A failing statement, too.
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${name} VALUES ($1)`, [3]);
          await tx.query(`INSERT INTO ${name} VALUES ($1)`, [1]);
        }),
        { code: "23505" },
      );
      assert.deepEqual(await db.query(`SELECT id FROM ${name} ORDER BY id`), [{ id: 1 }], "nothing kept");
      // And the connection is clean for the next transaction.
      await db.transaction((tx) => tx.query(`INSERT INTO ${name} VALUES (4)`));
      assert.deepEqual(await db.query(`SELECT id FROM ${name} ORDER BY id`), [{ id: 1 }, { id: 4 }]);
    } finally {
      await db.exec(`DROP TABLE ${name}`);
    }
  });

  await t.step("inSavepoint: a failed statement inside is rolled back alone; the transaction commits", async () => {
    const db = withCommitHooks(target.db());
    const name = table();
    await db.exec(`CREATE TABLE ${name} (id int PRIMARY KEY)`);
    try {
      const heard: string[] = [];
      await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${name} VALUES (1)`);
        await assert.rejects(
          inSavepoint(tx, async (sp) => {
            sp.afterCommit?.(() => heard.push("rolled back"));
            await sp.query(`INSERT INTO ${name} VALUES (2)`);
            await sp.query(`INSERT INTO ${name} VALUES (1)`); // a duplicate: the savepoint fails
          }),
          { code: "23505" },
        );
        await inSavepoint(tx, async (sp) => {
          sp.afterCommit?.(() => heard.push("kept"));
          await sp.query(`INSERT INTO ${name} VALUES (3)`);
        });
      });
      assert.deepEqual(await db.query(`SELECT id FROM ${name} ORDER BY id`), [{ id: 1 }, { id: 3 }]);
      assert.deepEqual(heard, ["kept"], "a rolled-back savepoint's commit hooks never run");
    } finally {
      await db.exec(`DROP TABLE ${name}`);
    }
  });
}

interface Recorded {
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
}

async function migrationContract(t: Deno.TestContext, target: Target): Promise<void> {
  await t.step("migrate: applies every migration in order, once, and records each", async () => {
    const dir = await migrationsDir(FIXTURES);
    try {
      const db = await target.fresh();
      const first = await migrate(db, dir.url);
      assert.deepEqual(first, { applied: ["001_accounts", "002_balance", "010_later"], version: 10 });
      const recorded = await db.query<Recorded>("SELECT * FROM schema_migrations ORDER BY version");
      const expected = await loadMigrations(dir.url);
      assert.deepEqual(
        recorded.map((r) => [r.version, r.name, r.checksum]),
        expected.map((m) => [m.version, m.name, m.checksum]),
      );
      assert.match(recorded[0].checksum, /^[0-9a-f]{64}$/);
      assert.ok(recorded.every((r) => r.applied_at instanceof Date));
      // In order: 010 updated the column 002 added to the row 001 inserted.
      assert.deepEqual(await db.query("SELECT id, name, balance FROM accounts"), [{
        id: 1,
        name: "first",
        balance: "12.50",
      }]);

      // Nothing to apply (nearly every start): one read, no transaction and so no lock.
      const calls: string[] = [];
      const watched: Database = {
        ...db,
        query: (text, params) => (calls.push(`query ${text}`), db.query(text, params)),
        exec: (sql) => (calls.push(`exec ${sql}`), db.exec(sql)),
        transaction: (fn) => (calls.push("transaction"), db.transaction(fn)),
      };
      const again = await migrate(watched, dir.url);
      assert.deepEqual(again, { applied: [], version: 10 });
      assert.deepEqual(calls, ["query SELECT version, checksum FROM schema_migrations"]);
      assert.deepEqual(await db.query("SELECT version FROM applied_log ORDER BY version"), [
        { version: 1 },
        { version: 2 },
        { version: 10 },
      ]);

      // A migration added later is the only one applied next time.
      await dir.write("011_more.sql", "INSERT INTO applied_log VALUES (11);");
      assert.deepEqual(await migrate(db, dir.url), { applied: ["011_more"], version: 11 });
      const [{ n }] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM applied_log");
      assert.equal(n, 4);
    } finally {
      await dir.remove();
    }
  });

  await t.step("migrate: a failing migration leaves nothing behind and stops the ones after it", async () => {
    const dir = await migrationsDir({
      "001_ok.sql": "CREATE TABLE ok_table (id integer);",
      "002_broken.sql": "CREATE TABLE half_done (id integer);\nINSERT INTO ok_table VALUES (1);\nSELECT 1/0;",
      "003_after.sql": "CREATE TABLE after_table (id integer);",
    });
    try {
      const db = await target.fresh();
      await assert.rejects(migrate(db, dir.url), { code: "22012" });
      assert.deepEqual(await db.query("SELECT version FROM schema_migrations"), [{ version: 1 }]);
      const tables = await db.query<{ t: string | null }>(
        "SELECT to_regclass('half_done')::text AS t UNION ALL SELECT to_regclass('after_table')::text",
      );
      assert.deepEqual(tables, [{ t: null }, { t: null }], "002's table rolled back, 003 not run");
      assert.deepEqual(await db.query("SELECT * FROM ok_table"), [], "002's insert rolled back");

      // Fixed, it applies on the next start, and 003 after it.
      await dir.write("002_broken.sql", "CREATE TABLE half_done (id integer);");
      assert.deepEqual((await migrate(db, dir.url)).applied, ["002_broken", "003_after"]);
    } finally {
      await dir.remove();
    }
  });

  await t.step(
    "migrate: an applied migration whose file changed is a clear error, and nothing after it runs",
    async () => {
      const dir = await migrationsDir({ "001_accounts.sql": FIXTURES["001_accounts.sql"] });
      try {
        const db = await target.fresh();
        await migrate(db, dir.url);
        await dir.write("001_accounts.sql", FIXTURES["001_accounts.sql"] + "\n-- an innocent-looking edit\n");
        await dir.write("002_balance.sql", FIXTURES["002_balance.sql"]);
        await assert.rejects(migrate(db, dir.url), (e: unknown) => {
          assert.ok(e instanceof MigrationError, `a MigrationError, got ${e}`);
          assert.match(e.message, /001_accounts\.sql/);
          assert.match(e.message, /changed after it was applied/);
          return true;
        });
        assert.deepEqual(await db.query("SELECT version FROM schema_migrations"), [{ version: 1 }], "002 not applied");
      } finally {
        await dir.remove();
      }
    },
  );
}

// ---------------------------------------------------------------- loading (no database)

Deno.test("loadMigrations: sorted by number, named NNN_name.sql, one file per version", async () => {
  const dir = await migrationsDir({ "010_b.sql": "SELECT 10;", "002_a.sql": "SELECT 2;", "README.md": "ignored" });
  try {
    const ms = await loadMigrations(dir.url);
    assert.deepEqual(ms.map((m) => [m.version, m.name, m.sql]), [[2, "a", "SELECT 2;"], [10, "b", "SELECT 10;"]]);
    await dir.write("7_bad.sql", "SELECT 7;");
    await assert.rejects(loadMigrations(dir.url), MigrationError);
    await Deno.remove(new URL("7_bad.sql", dir.url));
    await dir.write("002_again.sql", "SELECT 2;");
    await assert.rejects(loadMigrations(dir.url), /two migrations have version 2/);
  } finally {
    await dir.remove();
  }
});

// ---------------------------------------------------------------- PGlite

/** One PGlite database serves both: a fresh schema is the public one dropped and made again. */
function pgliteTarget(db: Database): Target {
  return {
    db: () => db,
    async fresh() {
      await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
      return db;
    },
  };
}

Deno.test({
  name: "database contract on PGlite (in memory)",
  async fn(t) {
    const db = await openPglite(null);
    try {
      assert.equal(db.kind, "pglite");
      await queryContract(t, pgliteTarget(db));
      await migrationContract(t, pgliteTarget(db));
    } finally {
      await db.close();
    }
  },
});

Deno.test({
  name: "database contract on PGlite on a worker thread (as the app runs it)",
  async fn(t) {
    const { db } = await openPgliteRemote(null);
    try {
      assert.equal(db.kind, "pglite");
      await queryContract(t, pgliteTarget(db));
      await migrationContract(t, pgliteTarget(db));
      await t.step("a failed COMMIT reaches the caller; a closed database rejects", async () => {
        const name = table();
        await db.exec(`CREATE TABLE ${name} (id integer PRIMARY KEY DEFERRABLE INITIALLY DEFERRED)`);
        await assert.rejects(
          db.transaction(async (tx) => {
            await tx.query(`INSERT INTO ${name} VALUES (1), (1)`);
          }),
          { code: "23505" },
          "the deferred unique check fails at COMMIT",
        );
        assert.deepEqual(await db.query(`SELECT * FROM ${name}`), []);
        await db.exec(`DROP TABLE ${name}`);
      });
    } finally {
      await db.close();
    }
    await assert.rejects(db.query("SELECT 1"), /closed/);
  },
});

// ---------------------------------------------------------------- Postgres

/** Databases of this test, named after the run's database so that tests/run.ts drops them with it. */
function postgresDatabases() {
  const runDb = new URL(testServices.postgres!).pathname.slice(1);
  const admin = postgres(testServices.postgresAdmin!, { max: 1, onnotice: () => {} });
  const opened: Database[] = [];
  let n = 0;
  return {
    async create(): Promise<string> {
      const name = `${runDb}_dbtest${++n}_${Math.random().toString(36).slice(2, 6)}`;
      await admin.unsafe(`CREATE DATABASE "${name}"`);
      const url = new URL(testServices.postgres!);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async open(url: string, max = 2): Promise<Database> {
      const db = await openPostgres(url, { max });
      opened.push(db);
      return db;
    },
    async close() {
      await Promise.allSettled(opened.map((db) => db.close()));
      await admin.end();
    },
  };
}

serviceTest("database contract on Postgres", ["postgres"], async (t) => {
  const dbs = postgresDatabases();
  try {
    const shared = await dbs.open(testServices.postgres!, 4);
    assert.equal(shared.kind, "postgres");
    const target: Target = {
      db: () => shared,
      fresh: async () => await dbs.open(await dbs.create()),
    };
    await queryContract(t, target);
    await migrationContract(t, target);
  } finally {
    await dbs.close();
  }
});

serviceTest("migrate on Postgres: instances starting together apply each migration once", ["postgres"], async () => {
  const dbs = postgresDatabases();
  const dir = await migrationsDir(FIXTURES);
  try {
    const url = await dbs.create();
    // Separate pools, as separate instances would have.
    const instances = await Promise.all([1, 2, 3].map(() => dbs.open(url)));
    const results = await Promise.all(instances.map((db) => migrate(db, dir.url)));
    const applied = results.flatMap((r) => r.applied).sort();
    assert.deepEqual(applied, ["001_accounts", "002_balance", "010_later"], "each applied by exactly one instance");
    assert.ok(results.every((r) => r.version === 10), "every instance reports the final version");
    const db = instances[0];
    assert.deepEqual(await db.query("SELECT version FROM applied_log ORDER BY version"), [
      { version: 1 },
      { version: 2 },
      { version: 10 },
    ]);
    assert.deepEqual((await db.query("SELECT version FROM schema_migrations ORDER BY version")).length, 3);
  } finally {
    await dir.remove();
    await dbs.close();
  }
});

serviceTest(
  "Postgres: a parameterised statement is prepared once per connection (unless ?prepare=false) and survives a schema change",
  [
    "postgres",
  ],
  async () => {
    const dbs = postgresDatabases();
    try {
      const db = await dbs.open(await dbs.create(), 1);
      const marker = `prepared_${crypto.randomUUID().slice(0, 8)}`;
      const text = `SELECT $1::int + 1 AS n, '${marker}' AS m`;
      // One connection (max 1): every run below uses the same server session.
      for (let i = 0; i < 3; i++) assert.deepEqual(await db.query(text, [i]), [{ n: i + 1, m: marker }]);
      const prepared = await db.query<{ statement: string }>(
        `SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%' || $1 || '%' AND statement NOT LIKE '%pg_prepared%'`,
        [marker],
      );
      assert.deepEqual(prepared.map((r) => r.statement), [text], "one named statement, reused by every run");
      // A caller's `prepare: false`: sent unnamed, nothing kept.
      const once = `SELECT $1::int * 2 AS n, '${marker}-once' AS m`;
      assert.deepEqual(await db.query(once, [4], { prepare: false }), [{ n: 8, m: `${marker}-once` }]);
      assert.deepEqual(
        await db.query(`SELECT name FROM pg_prepared_statements WHERE statement = $1`, [once]),
        [],
        "prepare: false",
      );

      // A prepared SELECT * whose table gains a column is prepared again (postgres.js retries it), not an error.
      await db.exec("CREATE TABLE widened (id integer PRIMARY KEY)");
      await db.query("INSERT INTO widened VALUES ($1)", [1]);
      assert.deepEqual(await db.query("SELECT * FROM widened WHERE id = $1", [1]), [{ id: 1 }]);
      await db.exec("ALTER TABLE widened ADD COLUMN note text NOT NULL DEFAULT 'x'");
      assert.deepEqual(await db.query("SELECT * FROM widened WHERE id = $1", [1]), [{ id: 1, note: "x" }]);

      // Behind a pooler in transaction mode (no named statements across transactions): `?prepare=false`.
      const url = new URL(await dbs.create());
      url.searchParams.set("prepare", "false");
      const unprepared = await dbs.open(url.toString(), 1);
      for (let i = 0; i < 3; i++) assert.deepEqual(await unprepared.query(text, [i]), [{ n: i + 1, m: marker }]);
      assert.deepEqual(await unprepared.query("SELECT name FROM pg_prepared_statements"), [], "nothing prepared");
    } finally {
      await dbs.close();
    }
  },
);
