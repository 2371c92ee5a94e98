/**
 * The request's database budget (services/adapters/deadline.ts) on the Postgres adapter: work that
 * cannot get a connection in time is answered with a 503-kind error within the budget, and a
 * transaction the caller was told failed never commits afterwards (one that starts too late, or
 * whose statement runs past the budget, rolls back). Outside a request nothing is bounded.
 */
import assert from "node:assert/strict";
import { openPostgres } from "../../services/adapters/postgres.ts";
import { DatabaseDeadlineError, withDeadline } from "../../services/adapters/deadline.ts";
import { DomainError } from "../../services/errors.ts";
import { freshPostgresUrl, serviceTest } from "../helpers/services.ts";

serviceTest("database deadline: a request waiting for a busy pool gets 503 in time; its transaction never commits", [
  "postgres",
], async () => {
  // One connection, held by a slow statement outside any request.
  const db = await openPostgres(await freshPostgresUrl("deadline"), { max: 1 });
  const table = `deadline_${crypto.randomUUID().slice(0, 8)}`;
  try {
    await db.exec(`CREATE TABLE ${table} (id int)`);
    const slow = db.query(`SELECT pg_sleep(1.5)`);
    await new Promise((r) => setTimeout(r, 100)); // on the wire

    const t0 = performance.now();
    const lone = withDeadline(300, () => db.query(`SELECT 1`));
    const inTx = withDeadline(300, () =>
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${table} VALUES (2)`);
      }));
    for (const p of [lone, inTx]) {
      await assert.rejects(p, (e) => {
        assert.ok(e instanceof DatabaseDeadlineError);
        assert.ok(
          e instanceof DomainError && e.kind === "unavailable" && e.options.retryAfter,
          "a 503 with Retry-After",
        );
        return true;
      });
    }
    const waited = performance.now() - t0;
    assert.ok(waited < 1_200, `answered within the budget, not after the slow statement (${Math.round(waited)} ms)`);

    await slow;
    // Outside a request the same work waits as long as it takes.
    await db.query(`INSERT INTO ${table} VALUES (3)`);
    await new Promise((r) => setTimeout(r, 300)); // anything still queued would have run by now
    const rows = await db.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`);
    assert.deepEqual(rows.map((r) => r.id), [3], "the transaction that started too late rolled back");
  } finally {
    await db.exec(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await db.close();
  }
}, { sanitizeOps: false, sanitizeResources: false });

serviceTest("database deadline: a statement past the budget is cancelled and its transaction rolled back", [
  "postgres",
], async () => {
  const db = await openPostgres(await freshPostgresUrl("deadline"), { max: 2 });
  const table = `deadline_${crypto.randomUUID().slice(0, 8)}`;
  try {
    await db.exec(`CREATE TABLE ${table} (id int)`);
    // Work that takes longer than the budget only at its last statement: the statement is cancelled,
    // the transaction rolls back, and the caller is told so.
    await assert.rejects(
      withDeadline(200, () =>
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${table} VALUES (1)`);
          await tx.query(`SELECT pg_sleep(1)`);
        })),
      DatabaseDeadlineError,
    );
    // Well within the budget: committed and reported committed.
    await withDeadline(2_000, () =>
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${table} VALUES (2)`);
      }));
    await new Promise((r) => setTimeout(r, 200));
    const rows = await db.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`);
    assert.deepEqual(rows.map((r) => r.id), [2]);
  } finally {
    await db.exec(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await db.close();
  }
}, { sanitizeOps: false, sanitizeResources: false });
