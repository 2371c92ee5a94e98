/**
 * Meter readings of an organization's assets. Every statement is scoped by org_id: another
 * organization's asset is not found.
 *
 * Settlement is final: a reading that falls in the hour of a settled day-ahead bid of the asset is
 * refused (409), since that bid's revenue is already on the P&L. The clearing job waits for a metered
 * asset's readings before it settles (services/bids/clearing_job.ts), so this only refuses readings that
 * come after that wait. An RT award settles as awarded whatever the meter says, so a reading beside a
 * settled RT bid is accepted.
 */
import { isoUtc } from "../../db/sql.ts";
import { conflict, DomainError } from "../errors.ts";
import type { Queryable } from "../../db/database.ts";
import type { Principal } from "../auth/principal.ts";
import { sideLimitMw } from "../bids/schema.ts";
import type { ReadingInput, ReadingView } from "./meter_schemas.ts";
import { getAsset, notFound } from "./store.ts";
import { z } from "zod";
import { decodeCursor, type Page, pageOf, type PageRequest } from "../pagination.ts";

const iso = isoUtc;
const COLUMNS = `${iso("m.interval_start")} AS interval_start, ${iso("m.interval_end")} AS interval_end,
  m.mw::float8 AS mw, ${iso("m.recorded_at")} AS recorded_at, m.recorded_by`;

interface Issue {
  path: string;
  message: string;
  code: string;
}

/** Readings whose interval starts in [from, to). Another organization's asset has none (its 404 is the caller's). */
export async function listReadings(
  q: Queryable,
  orgId: string,
  assetId: string,
  f: { from?: string | Date; to?: string | Date; limit: number; newestFirst?: boolean; after?: string },
): Promise<ReadingView[]> {
  return await q.query<ReadingView>(
    `SELECT ${COLUMNS} FROM meter_readings m
      WHERE m.org_id = $1 AND m.asset_id = $2 AND ($3::timestamptz IS NULL OR m.interval_start >= $3::timestamptz)
        AND ($4::timestamptz IS NULL OR m.interval_start < $4::timestamptz)
        AND ($6::text IS NULL OR m.interval_start ${f.newestFirst ? "<" : ">"} $6::text::timestamptz)
      ORDER BY m.interval_start ${f.newestFirst ? "DESC" : ""} LIMIT $5`,
    [orgId, assetId, f.from ?? null, f.to ?? null, f.limit, f.after ?? null],
  );
}

/** A page of readings in [from, to), oldest first; the cursor is the last reading's interval start. */
export async function readingsPage(
  q: Queryable,
  orgId: string,
  assetId: string,
  f: { from: string; to: string } & PageRequest,
): Promise<Page<ReadingView>> {
  const after = decodeCursor(f.cursor, [z.iso.datetime()]);
  const rows = await listReadings(q, orgId, assetId, { from: f.from, to: f.to, limit: f.limit + 1, after: after?.[0] });
  return pageOf(rows, f.limit, (r) => [r.interval_start]);
}

const mwText = (v: number) => `${v < 0 ? "−" : ""}${Math.abs(v)} MW`;

/** Readings outside the asset's power for their direction, each naming its index. */
function capacityIssues(asset: Awaited<ReturnType<typeof getAsset>>, readings: readonly ReadingInput[]): Issue[] {
  const out = sideLimitMw(asset, "offer") ?? 0;
  const into = sideLimitMw(asset, "bid") ?? 0;
  const issues: Issue[] = [];
  readings.forEach((r, i) => {
    const path = `body.readings.${i}.mw`;
    if (r.mw > out) {
      const what = asset.kind === "storage" ? "discharge power" : "capacity";
      issues.push({
        path,
        code: "reading_exceeds_capacity",
        message: `${path} ${mwText(r.mw)} is more than the asset's ${what} of ${out} MW`,
      });
    } else if (r.mw < -into) {
      issues.push({
        path,
        code: "reading_exceeds_capacity",
        message: into === 0
          ? `${path} ${mwText(r.mw)}: a ${asset.kind} asset only injects, so a reading is 0 MW or more`
          : `${path} ${mwText(r.mw)} draws more than the asset's charge power of ${into} MW`,
      });
    }
  });
  return issues;
}

/**
 * One meter change per asset at a time, so the checks of a write still hold at commit. NO KEY: new bids
 * on the asset (their foreign key takes KEY SHARE) are not held up by it. Another organization's asset: 404.
 */
async function lockMeter(tx: Queryable, orgId: string, assetId: string): Promise<void> {
  const lock = await tx.query(`SELECT 1 FROM assets WHERE org_id = $1 AND id = $2 FOR NO KEY UPDATE`, [
    orgId,
    assetId,
  ]);
  if (!lock.length) throw notFound("Asset");
}

type SettledBid = { id: string; start: string; end: string };

/**
 * The asset's settled DA bids overlapping [from, to). Locked, not only read, with the submitted and cleared
 * ones: the clearing job locks a DA bid before it reads its readings, so it either sees this change once
 * committed or settles first and this change finds the bid settled (one could clear and settle while this
 * transaction is still open).
 */
async function settledDaBids(tx: Queryable, orgId: string, assetId: string, from: number, to: number) {
  const bids = await tx.query<SettledBid & { status: string }>(
    `SELECT b.id, b.status, ${iso("b.interval_start")} AS start, ${iso("b.interval_end")} AS "end"
       FROM bids b
      WHERE b.org_id = $1 AND b.asset_id = $2 AND b.market = 'DA' AND b.status IN ('submitted', 'cleared', 'settled')
        AND b.interval_start < $4 AND b.interval_end > $3
      ORDER BY b.interval_start, b.id FOR UPDATE`,
    [orgId, assetId, new Date(from).toISOString(), new Date(to).toISOString()],
  );
  return bids.filter((b) => b.status === "settled").map(({ status: _, ...b }): SettledBid => b);
}

/** Whether two [start, end) intervals, as ISO strings, share any time. */
function overlaps(a: { start: string; end: string }, b: { start: string; end: string }): boolean {
  return Date.parse(a.start) < Date.parse(b.end) && Date.parse(a.end) > Date.parse(b.start);
}

/**
 * Deletes the asset's readings whose interval starts in [from, to), all or none: refused (409, naming the
 * bids) when one falls in a settled DA bid, whose settlement used it. Run in a transaction: a refusal comes
 * after the DELETE, whose rows say which hours it touched, and rolls it back.
 */
export async function deleteReadings(
  tx: Queryable,
  orgId: string,
  assetId: string,
  range: { from: string; to: string },
): Promise<{ deleted: number }> {
  await lockMeter(tx, orgId, assetId);
  const deleted = await tx.query<{ start: string; end: string }>(
    `DELETE FROM meter_readings WHERE org_id = $1 AND asset_id = $2 AND interval_start >= $3 AND interval_start < $4
     RETURNING ${iso("interval_start")} AS start, ${iso("interval_end")} AS "end"`,
    [orgId, assetId, range.from, range.to],
  );
  if (!deleted.length) return { deleted: 0 };
  const candidates = await settledDaBids(
    tx,
    orgId,
    assetId,
    Math.min(...deleted.map((r) => Date.parse(r.start))),
    Math.max(...deleted.map((r) => Date.parse(r.end))),
  );
  // Only a bid that a deleted reading overlaps: a settled hour in a gap between readings is not touched.
  const settled = candidates.filter((b) => deleted.some((r) => overlaps(r, b)));
  if (settled.length) {
    throw conflict(`Readings in ${settled.length} settled bid(s) cannot be deleted; nothing was deleted`, {
      code: "settled",
      details: settled.map((b) => ({
        code: "settled",
        bid_id: b.id,
        message: `the day-ahead bid ${b.id} for ${b.start}–${b.end} is settled with these readings; ` +
          "settlement is final",
      })),
    });
  }
  return { deleted: deleted.length };
}

/**
 * Writes readings of one asset, all or none: a reading for an interval start the asset already has
 * replaces it (a correction). Run in a transaction.
 */
export async function writeReadings(
  tx: Queryable,
  p: Principal,
  assetId: string,
  readings: readonly ReadingInput[],
): Promise<{ items: ReadingView[]; created: number; corrected: number }> {
  await lockMeter(tx, p.orgId, assetId);
  const asset = await getAsset(tx, p.orgId, assetId);
  const invalid = capacityIssues(asset, readings);
  if (invalid.length) {
    throw new DomainError("invalid", "The readings are invalid: " + invalid.map((i) => i.message).join("; "), {
      code: "validation_failed",
      details: invalid,
    });
  }

  const starts = readings.map((r) => r.interval_start);
  const ends = readings.map((r) => r.interval_end);
  const first = Math.min(...starts.map((s) => Date.parse(s)));
  const last = Math.max(...ends.map((e) => Date.parse(e)));
  const settled = await settledDaBids(tx, p.orgId, assetId, first, last);
  const final: (Issue & { bid_id: string })[] = [];
  readings.forEach((r, i) => {
    const bid = settled.find((b) => overlaps({ start: r.interval_start, end: r.interval_end }, b));
    if (bid) {
      final.push({
        path: `body.readings.${i}`,
        code: "settled",
        bid_id: bid.id,
        message: `readings.${i} (${r.interval_start}) falls in the day-ahead bid ${bid.id} for ` +
          `${bid.start}–${bid.end}, which is settled; settlement is final`,
      });
    }
  });
  if (final.length) {
    throw conflict(`${final.length} reading(s) fall in settled bids; nothing was written`, {
      code: "settled",
      details: final,
    });
  }

  // A stored reading whose start is not in this batch and that overlaps one of it: a different grid.
  // Readings last at most an hour, which bounds the look-back on the primary key.
  const clashes = await tx.query<{ index: number; start: string; end: string }>(
    `SELECT i.idx::int - 1 AS index, ${iso("m.interval_start")} AS start, ${iso("m.interval_end")} AS "end"
       FROM unnest($3::timestamptz[], $4::timestamptz[]) WITH ORDINALITY AS i(s, e, idx)
       JOIN meter_readings m ON m.org_id = $1 AND m.asset_id = $2 AND m.interval_start < i.e
        AND m.interval_start > i.s - interval '1 hour' AND m.interval_end > i.s
        AND m.interval_start <> ALL($3::timestamptz[])
      ORDER BY 1`,
    [p.orgId, assetId, starts, ends],
  );
  if (clashes.length) {
    throw conflict(
      `${clashes.length} reading(s) overlap stored readings with another interval_start; nothing was written`,
      {
        code: "reading_overlap",
        details: clashes.map((c) => ({
          path: `body.readings.${c.index}`,
          code: "reading_overlap",
          message: `readings.${c.index} overlaps the stored reading ${c.start}–${c.end}`,
        })),
      },
    );
  }

  const rows = await tx.query<ReadingView & { created: boolean }>(
    `WITH w AS (
       INSERT INTO meter_readings AS m (org_id, asset_id, interval_start, interval_end, mw, recorded_by)
       SELECT $1, $2, s, e, mw, $6 FROM unnest($3::timestamptz[], $4::timestamptz[], $5::float8[]) AS t(s, e, mw)
       ON CONFLICT (org_id, asset_id, interval_start) DO UPDATE
         SET interval_end = excluded.interval_end, mw = excluded.mw, recorded_at = now(),
             recorded_by = excluded.recorded_by
       RETURNING m.*, (m.xmax = 0) AS created)
     SELECT ${COLUMNS}, m.created FROM w m ORDER BY m.interval_start`,
    [p.orgId, assetId, starts, ends, readings.map((r) => r.mw), p.userId],
  );
  const created = rows.filter((r) => r.created).length;
  return { items: rows.map(({ created: _, ...r }) => r), created, corrected: rows.length - created };
}
