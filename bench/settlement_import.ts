/**
 * Settlement statement import: rows/s of a 200,000-line generic statement (BENCH_STATEMENT_ROWS), on Postgres.
 * Target: ≥ 50,000 rows/s for the whole import (stream → CSV reader (services/csv_lines.ts) → every row checked → stored in one
 * transaction). Reported with its parts, measured in the same run:
 *  - parse: CSV reading + the row checks alone, no database (the CPU part);
 *  - copy: the same rows, already parsed and formatted, through one COPY (the database's part on its own) —
 *    the baseline the import is compared with;
 *  - import: the whole thing, as POST /api/settlements/statements runs it (without HTTP), then the
 *    comparison's totals on their own.
 *  - the whole import on PGlite (in memory), once.
 * Each Postgres figure is the median of 3 runs; the machine's load average is printed with them.
 */
import type { Database } from "../db/database.ts";
import { migrate } from "../db/migrate.ts";
import { openPglite } from "../services/adapters/pglite.ts";
import { openPostgres } from "../services/adapters/postgres.ts";
import type { Principal } from "../services/auth/principal.ts";
import { CsvLines, textChunks } from "../services/csv_lines.ts";
import { importStatement } from "../services/settlement/actions.ts";
import { readerFor, type RowReader, type StatementLine } from "../services/settlement/formats.ts";
import { comparisonTotals } from "../services/settlement/store.ts";
import { fmt, loadAverage, median, report, throwawayDatabase } from "./lib.ts";

const ROWS = Number(Deno.env.get("BENCH_STATEMENT_ROWS") ?? 200_000);
const RUNS = 3;
const H = 3_600_000;
const START = Date.UTC(2025, 4, 1);

function statement(): string {
  const rows = ["interval_start,interval_end,location,market,mw,price,amount"];
  for (let i = 0; i < ROWS; i++) {
    const s = START + Math.floor(i / 100) * H;
    const price = 20 + (i % 97) / 4;
    rows.push(
      `${new Date(s).toISOString()},${new Date(s + H).toISOString()},NODE ${i % 100},${i % 2 ? "RT" : "DA"},` +
        `${(i % 7) + 1},${price.toFixed(2)},${(((i % 7) + 1) * price).toFixed(2)}`,
    );
  }
  return rows.join("\n") + "\n";
}

/** The body as a client sends it: 64 KiB chunks. */
function chunks(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(at, at += 65_536));
    },
  });
}

async function parseOnly(text: string): Promise<StatementLine[]> {
  let reader: RowReader | null = null;
  const out: StatementLine[] = [];
  const csv = new CsvLines();
  const onRecord = (record: string[]) => {
    if (!reader) reader = readerFor("generic", record) as RowReader;
    else for (const l of reader.read(record)) out.push(l);
  };
  for await (const t of textChunks(chunks(text))) csv.push(t, onRecord);
  csv.end(onRecord);
  return out;
}

/** A migrated database's bench organization, as the admin principal the import runs for. */
async function benchPrincipal(db: Database): Promise<Principal> {
  await migrate(db);
  const [{ id: orgId }] = await db.query<{ id: string }>(
    `INSERT INTO organizations (name) VALUES ('bench') RETURNING id`,
  );
  return { orgId, userId: null, apiKeyId: null, role: "admin" } as unknown as Principal;
}

/** The whole import, as POST /api/settlements/statements runs it: the statement and how long it took (ms). */
async function timedImport(db: Database, principal: Principal, text: string) {
  const t0 = performance.now();
  const out = await importStatement(db, { principal }, {
    zone: "PJM",
    format: "generic",
    from: new Date(START).toISOString(),
    to: new Date(START + 90 * 86_400_000).toISOString(),
  }, chunks(text));
  const ms = performance.now() - t0;
  if (out.statement.lines !== ROWS) throw new Error(`imported ${out.statement.lines} of ${ROWS} lines`);
  return { statement: out.statement, ms };
}

/** The whole import on PGlite (COPY from a blob a few MB at a time: services/adapters/pglite_copy.ts), once, in ms. */
async function pgliteImport(text: string): Promise<number> {
  const db = await openPglite(null);
  try {
    return (await timedImport(db, await benchPrincipal(db), text)).ms;
  } finally {
    await db.close();
  }
}

export async function benchSettlementImport(): Promise<Record<string, number> | null> {
  const pg = await throwawayDatabase("statement");
  if (!pg) {
    console.log("settlement_import: skipped (no Postgres at BENCH_PG_ADMIN_URL)");
    return null;
  }
  const db = await openPostgres(pg.url);
  try {
    const principal = await benchPrincipal(db);
    const orgId = principal.orgId;
    const text = statement();
    const mb = new TextEncoder().encode(text).length / 1e6;
    const parse: number[] = [], insert: number[] = [], full: number[] = [], totals: number[] = [];
    let lines: StatementLine[] = [];
    for (let r = 0; r < RUNS; r++) {
      let t0 = performance.now();
      lines = await parseOnly(text);
      parse.push(performance.now() - t0);

      // Formatted before the clock starts: the baseline is the database's part alone.
      const id = crypto.randomUUID();
      const copyText = lines.map((l, k) =>
        `${id}\t${k + 2}\t${new Date(l.interval_start).toISOString()}\t${new Date(l.interval_end).toISOString()}\t` +
        `${l.location}\t${l.market}\t${l.mw}\t${l.price}\t${l.amount}\n`
      );
      t0 = performance.now();
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO settlement_statements (id, org_id, zone, format, period_from, period_to, lines)
           VALUES ($1, $2, 'PJM', 'generic', $3, $4, 0)`,
          [id, orgId, new Date(START), new Date(START + 90 * 86_400_000)],
        );
        const text = copyText;
        await tx.copyIn!(
          `COPY settlement_lines (statement_id, line_no, interval_start, interval_end, location, market, mw, price,
                                  amount) FROM STDIN`,
          (async function* () {
            for (let i = 0; i < text.length; i += 5000) yield text.slice(i, i + 5000).join("");
          })(),
        );
      });
      insert.push(performance.now() - t0);

      const imported = await timedImport(db, principal, text);
      full.push(imported.ms);
      t0 = performance.now();
      await comparisonTotals(db, orgId, imported.statement.id);
      totals.push(performance.now() - t0);
    }
    const lite = await pgliteImport(text);
    const rate = (ms: number[]) => ROWS / (median(ms) / 1000);
    const result = {
      parse_rows_per_s: rate(parse),
      insert_rows_per_s: rate(insert),
      import_rows_per_s: rate(full),
      totals_ms: median(totals),
      pglite_import_rows_per_s: ROWS / (lite / 1000),
    };
    report({
      bench: "settlement_import",
      figure: `whole import, ${ROWS.toLocaleString("en-US")} lines, Postgres`,
      value: result.import_rows_per_s,
      unit: "rows/s",
      target: { op: ">=", value: 50_000, source: "issue 19" },
      baseline: { label: "COPY of parsed rows", value: result.insert_rows_per_s, unit: "rows/s" },
    });
    report({
      bench: "settlement_import",
      figure: `whole import, ${ROWS.toLocaleString("en-US")} lines, PGlite (one run)`,
      value: result.pglite_import_rows_per_s,
      unit: "rows/s",
    });
    const load = loadAverage();
    console.log(
      `settlement_import (${ROWS.toLocaleString("en-US")} lines, ${fmt(mb)} MB, Postgres, load ${load}):\n` +
        `  parse + check only   ${fmt(result.parse_rows_per_s, 0)} rows/s\n` +
        `  COPY of parsed rows  ${fmt(result.insert_rows_per_s, 0)} rows/s (baseline)\n` +
        `  whole import         ${fmt(result.import_rows_per_s, 0)} rows/s ` +
        `(${fmt(median(full) / 1000, 2)} s, ${fmt(result.import_rows_per_s / result.insert_rows_per_s, 2)}× the ` +
        `baseline; target ≥ 50,000 rows/s)\n` +
        `  comparison totals    ${fmt(result.totals_ms, 0)} ms\n` +
        `  whole import, PGlite ${fmt(result.pglite_import_rows_per_s, 0)} rows/s (one run)`,
    );
    return result;
  } finally {
    await db.close();
    await pg.drop();
  }
}

if (import.meta.main) await benchSettlementImport();
