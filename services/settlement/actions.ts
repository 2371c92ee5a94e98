/**
 * What a user does with shadow settlement: import an ISO statement, and mark a difference disputed or
 * explained. Each action owns its transaction, its validation and its audit entry; the API and the pages
 * call these.
 *
 * An import streams the CSV (csv_lines.ts) into the database inside ONE transaction: every row is checked as it
 * arrives, good rows go in by chunks of CHUNK lines (one multi-row INSERT … unnest each), and the first bad
 * rows (up to MAX_ROW_ERRORS, each with its line number) roll the whole import back. Memory stays at one chunk
 * whatever the file's size.
 */
import { z } from "zod";
import type { Database, Transaction } from "../../db/database.ts";
import { withDeadline } from "../adapters/deadline.ts";
import { audit } from "../auth/audit.ts";
import type { Caller } from "../bids/actions.ts";
import { CsvError, CsvLines, textChunks } from "../csv_lines.ts";
import type { CsvSource } from "../csv_records.ts";
import { DomainError, invalid, notFound } from "../errors.ts";
import { ISOS } from "../market/zones.ts";
import { instant } from "../schemas/instant.ts";
import { text } from "../schemas/text.ts";
import { FORMATS, readerFor, RowError, type RowReader, type StatementLine } from "./formats.ts";
import {
  comparisonTotals,
  type Difference,
  getDifference,
  getStatement,
  putReview,
  REVIEW_STATUSES,
  type StatementView,
} from "./store.ts";

/** The largest statement a request may carry (the body limit of the import routes). */
export const MAX_STATEMENT_BYTES = 50 * 1024 * 1024;
/**
 * How long an import may wait on the database in all. Longer than a request's usual 4.5 s
 * (services/adapters/deadline.ts): a 50 MB statement streams in and is written for as long as it takes to
 * upload, and its client is waiting for exactly that.
 */
export const IMPORT_BUDGET_MS = 300_000;
const CHUNK = 5_000;
/** Memory for the import's sorts and hashes, per transaction (imports are few and short). */
const IMPORT_WORK_MEM = "64MB";
const MAX_ROW_ERRORS = 20;
/** A statement period of at most this many days (a monthly bill, with room). */
const MAX_PERIOD_DAYS = 92;

/** Who acts, as the bid actions know them. */
export type { Caller };

export const importQuery = z.object({
  zone: z.enum(ISOS),
  format: z.enum(FORMATS).describe("pjm (PJM hourly DA and balancing energy charges by node) or generic"),
  from: instant().describe("Start of the statement's period (inclusive)"),
  to: instant().describe("End of the statement's period (exclusive)"),
  filename: text({ max: 200 }).optional(),
}).superRefine((q, ctx) => {
  const span = Date.parse(q.to) - Date.parse(q.from);
  if (!(span > 0)) ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
  else if (span > MAX_PERIOD_DAYS * 86_400_000) {
    ctx.addIssue({ code: "custom", path: ["to"], message: `the period may span at most ${MAX_PERIOD_DAYS} days` });
  }
});
export type ImportInput = z.infer<typeof importQuery>;

export interface ImportResult {
  statement: StatementView;
  totals: Awaited<ReturnType<typeof comparisonTotals>>;
}

/** Lines buffered for one INSERT, in columns. */
class Chunk {
  line_no: number[] = [];
  start: number[] = [];
  end: number[] = [];
  location: string[] = [];
  market: string[] = [];
  mw: number[] = [];
  price: number[] = [];
  amount: number[] = [];
  get size() {
    return this.line_no.length;
  }
  push(lineNo: number, l: StatementLine) {
    this.line_no.push(lineNo);
    this.start.push(l.interval_start);
    this.end.push(l.interval_end);
    this.location.push(l.location);
    this.market.push(l.market);
    this.mw.push(l.mw);
    this.price.push(l.price);
    this.amount.push(l.amount);
  }
}

async function insertChunk(tx: Transaction, statementId: string, c: Chunk) {
  if (!c.size) return;
  await tx.query(
    `INSERT INTO settlement_lines (statement_id, line_no, interval_start, interval_end, location, market, mw, price,
                                   amount)
     SELECT $1, n, to_timestamp(s / 1000.0), to_timestamp(e / 1000.0), loc, m, mw, p, a
       FROM unnest($2::int[], $3::float8[], $4::float8[], $5::text[], $6::text[], $7::numeric[], $8::numeric[],
                   $9::numeric[]) AS t(n, s, e, loc, m, mw, p, a)`,
    [statementId, c.line_no, c.start, c.end, c.location, c.market, c.mw, c.price, c.amount],
  );
}

interface RowIssue {
  line: number;
  message: string;
}

const refusal = (issues: RowIssue[], more: boolean) =>
  invalid(
    `The statement has invalid rows; nothing was imported. ` +
      issues.slice(0, 3).map((i) => `Line ${i.line}: ${i.message}`).join("; ") +
      (issues.length > 3 || more ? "; …" : ""),
    {
      code: "invalid_statement",
      details: issues.map((i) => ({ path: `line ${i.line}`, line: i.line, message: i.message, code: "invalid_row" })),
    },
  );

/**
 * An instant's ISO text, remembered for the next call: a statement's lines come hour by hour, so most rows
 * repeat the previous row's instants and formatting a Date per row was most of the COPY text's cost.
 */
function isoText(): (ms: number) => string {
  let last = NaN, text = "";
  return (ms) => {
    if (ms !== last) {
      last = ms;
      text = new Date(ms).toISOString();
    }
    return text;
  };
}

/**
 * Chunks as COPY text: tab-separated, `\\` escaped (locations have no control characters: formats.ts).
 * Concatenated with + rather than a template: measurably less work per row here.
 */
function copyTexts(statementId: string) {
  const startIso = isoText(), endIso = isoText();
  const prefix = statementId + "\t";
  return (c: Chunk): string => {
    let out = "";
    for (let i = 0; i < c.size; i++) {
      const loc = c.location[i];
      out += prefix + c.line_no[i] + "\t" + startIso(c.start[i]) + "\t" + endIso(c.end[i]) + "\t" +
        (loc.includes("\\") ? loc.replaceAll("\\", "\\\\") : loc) + "\t" + c.market[i] + "\t" + c.mw[i] + "\t" +
        c.price[i] + "\t" + c.amount[i] + "\n";
    }
    return out;
  };
}

/**
 * Imports a statement (CSV bytes) for `input`'s zone and period, all or nothing, and answers it with its
 * comparison totals. A row outside the period, or not in the format, refuses the whole file (400
 * `invalid_statement`, each bad row with its `line`). On Postgres the lines stream in through one COPY while
 * the file is still being read; elsewhere by chunked INSERTs.
 */
export async function importStatement(
  db: Database,
  c: Caller,
  input: ImportInput,
  body: CsvSource,
): Promise<ImportResult> {
  const orgId = c.principal.orgId;
  const from = Date.parse(input.from), to = Date.parse(input.to);
  return await withDeadline(IMPORT_BUDGET_MS, () =>
    db.transaction(async (tx) => {
      // The statement's lines pass through two in-memory steps (the insert trigger's transition table and the
      // comparison's hash of hour × location × market): with the default 4 MB, a 200,000-line statement's hash
      // went to disk in 33 batches.
      await tx.exec(`SET LOCAL work_mem = '${IMPORT_WORK_MEM}'`);
      const [{ id }] = await tx.query<{ id: string }>(
        `INSERT INTO settlement_statements (org_id, zone, format, period_from, period_to, filename, lines, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7) RETURNING id`,
        [orgId, input.zone, input.format, input.from, input.to, input.filename ?? null, c.principal.userId],
      );
      const read = { issues: [] as RowIssue[], more: false, header: false, lines: 0 };
      const chunks = readChunks(body, input.format, from, to, read);
      if (tx.copyIn) {
        await tx.copyIn(
          `COPY settlement_lines (statement_id, line_no, interval_start, interval_end, location, market, mw, price,
                                  amount) FROM STDIN`,
          (async function* () {
            const copyText = copyTexts(id);
            for await (const chunk of chunks) yield copyText(chunk);
          })(),
        );
      } else {
        for await (const chunk of chunks) await insertChunk(tx, id, chunk);
      }
      if (!read.header && !read.issues.length) {
        read.issues.push({ line: 1, message: "the file is empty; a header row is expected" });
      }
      if (read.issues.length) throw refusal(read.issues, read.more);
      await tx.query(`UPDATE settlement_statements SET lines = $2 WHERE id = $1`, [id, read.lines]);
      await audit(tx, {
        orgId,
        actorUserId: c.principal.userId,
        actorApiKeyId: c.principal.apiKeyId ?? null,
        action: "settlement.imported",
        targetType: "settlement_statement",
        targetId: id,
        ip: c.ip ?? null,
        details: { zone: input.zone, format: input.format, from: input.from, to: input.to, lines: read.lines },
      });
      return { statement: await getStatement(tx, orgId, id), totals: await comparisonTotals(tx, orgId, id) };
    }));
}

/**
 * The statement's good lines, CHUNK at a time, as the file streams in. Bad rows go to `out.issues` (the first
 * MAX_ROW_ERRORS, then `more`); once there is one, nothing more is yielded (the import is refused anyway) but
 * the rest is still checked so the refusal lists what else is wrong.
 */
async function* readChunks(
  body: CsvSource,
  format: ImportInput["format"],
  from: number,
  to: number,
  out: { issues: RowIssue[]; more: boolean; header: boolean; lines: number },
): AsyncGenerator<Chunk> {
  let reader: RowReader | null = null;
  let chunk = new Chunk();
  const full: Chunk[] = [];
  let stop = false;
  const period = () => `[${new Date(from).toISOString()}, ${new Date(to).toISOString()})`;
  const onRecord = (record: string[], line: number) => {
    if (stop) return;
    if (!reader) {
      out.header = true;
      const r = readerFor(format, record);
      if (typeof r === "string") {
        out.issues.push({ line, message: r });
        stop = true;
        return;
      }
      reader = r;
      return;
    }
    let lines: StatementLine[];
    try {
      lines = reader.read(record);
      for (const l of lines) {
        if (l.interval_start < from || l.interval_start >= to) {
          throw new RowError(
            `interval ${new Date(l.interval_start).toISOString()} is outside the statement's period ${period()}`,
          );
        }
      }
    } catch (e) {
      if (!(e instanceof RowError)) throw e;
      if (out.issues.length === MAX_ROW_ERRORS) {
        out.more = true;
        stop = true;
        return;
      }
      out.issues.push({ line, message: e.message });
      return;
    }
    if (out.issues.length) return;
    for (const l of lines) chunk.push(line, l);
    out.lines += lines.length;
    if (chunk.size >= CHUNK) {
      full.push(chunk);
      chunk = new Chunk();
    }
  };
  const csv = new CsvLines();
  try {
    for await (const text of textChunks(body)) {
      csv.push(text, onRecord);
      while (full.length) yield full.shift()!;
      if (stop) return;
    }
    csv.end(onRecord);
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    out.issues.push({ line: e.lines, message: `not valid CSV: ${e.message}` });
  }
  if (!out.issues.length) {
    while (full.length) yield full.shift()!;
    if (chunk.size) yield chunk;
  }
}

export const reviewInput = z.object({
  hour: instant().describe("The hour of the difference (its start, UTC)"),
  location: text({ min: 1, max: 64 }),
  market: z.enum(["DA", "RT"]),
  status: z.enum(REVIEW_STATUSES),
  comment: text({ min: 1, max: 2000, multiline: true }),
});
export type ReviewInput = z.infer<typeof reviewInput>;

/**
 * Marks one difference of a statement disputed or explained, with a comment; audited
 * (`settlement.disputed` / `settlement.explained`, with the amounts and the previous review). A matched line
 * or one the statement does not have is a 404 / 409.
 */
export async function reviewDifference(
  db: Database,
  c: Caller,
  statementId: string,
  input: ReviewInput,
): Promise<Difference> {
  const orgId = c.principal.orgId;
  return await db.transaction(async (tx) => {
    await getStatement(tx, orgId, statementId);
    const before = await getDifference(tx, orgId, statementId, input);
    if (!before) throw notFound("The statement has no such hour, location and market", { code: "not_found" });
    if (before.status === "matched") {
      throw new DomainError("conflict", "That line matches; only differences are disputed or explained", {
        code: "not_a_difference",
      });
    }
    const hour = new Date(before.hour).toISOString();
    await putReview(tx, {
      orgId,
      statementId,
      hour,
      location: before.location,
      market: before.market,
      status: input.status,
      comment: input.comment,
      userId: c.principal.userId,
    });
    await audit(tx, {
      orgId,
      actorUserId: c.principal.userId,
      actorApiKeyId: c.principal.apiKeyId ?? null,
      action: `settlement.${input.status}`,
      targetType: "settlement_statement",
      targetId: statementId,
      ip: c.ip ?? null,
      details: {
        hour,
        location: before.location,
        market: before.market,
        status: before.status,
        iso_amount: before.iso_amount,
        our_amount: before.our_amount,
        comment: input.comment,
        previous: before.review,
      },
    });
    return (await getDifference(tx, orgId, statementId, input))!;
  });
}
