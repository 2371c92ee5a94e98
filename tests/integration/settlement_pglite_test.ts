/**
 * Statement import on PGlite (the embedded default), where there is no COPY: the same all-or-nothing import
 * through chunked INSERTs, across several chunks, and a bad row that rolls every chunk back; and the lines'
 * link to their statement.
 */
import assert from "node:assert/strict";
import { migrate } from "../../db/migrate.ts";
import { openPglite } from "../../services/adapters/pglite.ts";
import type { Principal } from "../../services/auth/principal.ts";
import { DomainError } from "../../services/errors.ts";
import { importStatement } from "../../services/settlement/actions.ts";

Deno.test(
  "statement import on PGlite: chunked, all or nothing",
  { sanitizeResources: false, sanitizeOps: false },
  async () => {
    const db = await openPglite("memory://");
    try {
      await migrate(db);
      assert.equal(db.kind, "pglite");
      const [{ id: orgId }] = await db.query<{ id: string }>(
        `INSERT INTO organizations (name) VALUES ('pg lite') RETURNING id`,
      );
      const principal = { orgId, userId: null, apiKeyId: null, role: "admin" } as unknown as Principal;
      const input = {
        zone: "PJM" as const,
        format: "generic" as const,
        from: "2025-07-01T00:00:00Z",
        to: "2025-07-02T00:00:00Z",
      };
      const rows = Array.from({ length: 12_000 }, (_, i) => {
        const h = String(i % 24).padStart(2, "0");
        return `2025-07-01T${h}:00:00Z,2025-07-01T${h}:59:00Z,NODE ${i},${i % 2 ? "RT" : "DA"},1.5,20.25,30.375`;
      });
      const header = "interval_start,interval_end,location,market,mw,price,amount";
      const out = await importStatement(db, { principal }, input, [header, ...rows].join("\n"));
      assert.equal(out.statement.lines, 12_000);
      const [{ n, sum }] = await db.query<{ n: number; sum: string }>(
        `SELECT count(*)::int AS n, sum(amount)::text AS sum FROM settlement_lines WHERE statement_id = $1`,
        [out.statement.id],
      );
      assert.equal(n, 12_000);
      assert.equal(Number(sum), 12_000 * 30.375);
      assert.equal(out.totals.find((t) => t.status === "only_iso")?.count, 12_000);

      // A bad row after two full chunks: nothing of the file stays.
      rows[11_000] = rows[11_000].replace("1.5", "x");
      await assert.rejects(
        () => importStatement(db, { principal }, input, [header, ...rows].join("\n")),
        (e: unknown) =>
          e instanceof DomainError && e.code === "invalid_statement" &&
          (e.options.details as { line: number }[])[0].line === 11_002,
      );
      const [{ statements }] = await db.query<{ statements: number }>(
        `SELECT count(*)::int AS statements FROM settlement_statements WHERE org_id = $1`,
        [orgId],
      );
      assert.equal(statements, 1, "only the first, good import");

      // The lines' link to their statement (set-based triggers, migration 019, not a foreign key): a line of
      // no statement is refused, a statement keeps its id, and deleting the organization deletes every line.
      await assert.rejects(
        () =>
          db.query(
            `INSERT INTO settlement_lines (statement_id, line_no, interval_start, interval_end, location, market, mw,
                                           price, amount)
             VALUES (gen_random_uuid(), 2, now(), now() + interval '1 hour', 'X', 'DA', 1, 1, 1)`,
          ),
        /statement_id is not a settlement statement/,
      );
      await assert.rejects(
        () => db.query(`UPDATE settlement_statements SET id = gen_random_uuid() WHERE id = $1`, [out.statement.id]),
        /keeps its id/,
      );
      await db.query(`DELETE FROM organizations WHERE id = $1`, [orgId]);
      const [{ left }] = await db.query<{ left: number }>(`SELECT count(*)::int AS left FROM settlement_lines`);
      assert.equal(left, 0, "the organization's statement lines went with it");
    } finally {
      await db.close();
    }
  },
);
