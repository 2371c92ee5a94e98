/**
 * Statements in the database and their comparison with OptiBid's own settlement, in SQL (a 200,000-line
 * statement is compared where it lies, never shipped to the app).
 *
 * The comparison is per hour (UTC), location and market: the ISO's lines summed by that key against
 * OptiBid's settled bids of the statement's zone and period — a bid's day-ahead revenue on a DA line at its
 * location (a virtual bid's location, a physical asset's site node), its real-time revenue (deviation or RT
 * award, and a virtual's liquidation) on an RT line of the hour. Then: `matched` (amounts within $0.01),
 * `amount_differs` (by more than $0.01), `only_iso`, `only_ours`; a line on one side only whose amount is
 * within $0.01 of zero is matched (nothing is owed either way).
 */
import { z } from "zod";
import type { Queryable } from "../../db/database.ts";
import { isoUtc } from "../../db/sql.ts";
import { notFound } from "../errors.ts";
import { decodeCursor, pageOf } from "../pagination.ts";

export const DIFF_STATUSES = ["matched", "amount_differs", "only_iso", "only_ours"] as const;
export type DiffStatus = typeof DIFF_STATUSES[number];
export const REVIEW_STATUSES = ["disputed", "explained"] as const;
export type ReviewStatus = typeof REVIEW_STATUSES[number];

/** Amounts closer than this are the same (a cent, as statements are rounded to it). */
export const TOLERANCE = 0.01;

export interface StatementView {
  id: string;
  zone: string;
  format: string;
  period_from: string;
  period_to: string;
  filename: string | null;
  lines: number;
  created_at: string;
  created_by_email: string | null;
}

const STATEMENT_COLUMNS = `s.id, s.zone, s.format, ${isoUtc("s.period_from")} AS period_from,
  ${isoUtc("s.period_to")} AS period_to, s.filename, s.lines, ${isoUtc("s.created_at")} AS created_at,
  u.email AS created_by_email`;

export async function getStatement(q: Queryable, orgId: string, id: string): Promise<StatementView> {
  const [row] = await q.query<StatementView>(
    `SELECT ${STATEMENT_COLUMNS} FROM settlement_statements s LEFT JOIN users u ON u.id = s.created_by
      WHERE s.org_id = $1 AND s.id = $2`,
    [orgId, id],
  );
  if (!row) throw notFound("Statement not found", { code: "not_found" });
  return row;
}

export async function listStatements(q: Queryable, orgId: string, f: { limit: number; cursor?: string }) {
  const after = decodeCursor(f.cursor, [z.iso.datetime({ offset: true }), z.uuid()]);
  const rows = await q.query<StatementView>(
    `SELECT ${STATEMENT_COLUMNS} FROM settlement_statements s LEFT JOIN users u ON u.id = s.created_by
      WHERE s.org_id = $1 AND ($2::timestamptz IS NULL OR (s.created_at, s.id) < ($2::timestamptz, $3::uuid))
      ORDER BY s.created_at DESC, s.id DESC LIMIT $4`,
    [orgId, after?.[0] ?? null, after?.[1] ?? null, f.limit + 1],
  );
  return pageOf(rows, f.limit, (s) => [s.created_at, s.id]);
}

/**
 * The UTC hour of a timestamptz column. date_bin is arithmetic on the instant; date_trunc(…, 'UTC') converts
 * through the time zone for every row, which was most of the comparison's time on a 200,000-line statement.
 */
const utcHour = (col: string) => `date_bin('1 hour', ${col}, timestamptz '2000-01-01T00:00:00Z')`;

/** The comparison of statement $2 (of organization $1) as a CTE named `cmp`, one row per hour, location, market. */
const COMPARISON = `
  st AS (SELECT id, zone, period_from, period_to FROM settlement_statements WHERE org_id = $1 AND id = $2),
  iso AS (
    SELECT ${utcHour("l.interval_start")} AS hour, l.location, l.market, sum(l.mw) AS mw,
           sum(l.amount) AS amount, min(l.line_no) AS first_line, count(*)::int AS lines
      FROM settlement_lines l JOIN st ON st.id = l.statement_id
     GROUP BY 1, 2, 3),
  settled AS (
    SELECT ${utcHour("b.interval_start")} AS hour, upper(coalesce(b.location, si.node)) AS location,
           b.market, b.da_revenue, b.rt_revenue,
           CASE WHEN b.side IN ('offer', 'inc') THEN 1 ELSE -1 END * b.awarded_mw
             * extract(epoch FROM b.interval_end - b.interval_start) / 3600 AS mwh
      FROM bids b JOIN st ON b.zone = st.zone
      LEFT JOIN assets a ON a.id = b.asset_id LEFT JOIN sites si ON si.id = a.site_id
     WHERE b.org_id = $1 AND b.status = 'settled' AND b.interval_start >= st.period_from
       AND b.interval_start < st.period_to),
  ours AS (
    SELECT hour, location, 'DA'::text AS market, sum(mwh) AS mw, sum(da_revenue) AS amount
      FROM settled WHERE market = 'DA' GROUP BY 1, 2
    UNION ALL
    SELECT hour, location, 'RT', sum(CASE WHEN market = 'RT' THEN mwh END), sum(rt_revenue)
      FROM settled WHERE rt_revenue <> 0 OR market = 'RT' GROUP BY 1, 2),
  cmp AS (
    SELECT coalesce(i.hour, o.hour) AS hour, coalesce(i.location, o.location) AS location,
           coalesce(i.market, o.market) AS market, i.mw AS iso_mw, i.amount AS iso_amount, o.mw AS our_mw,
           o.amount AS our_amount, i.first_line, coalesce(i.lines, 0) AS lines,
           CASE WHEN i.hour IS NULL THEN CASE WHEN abs(o.amount) <= ${TOLERANCE} THEN 'matched' ELSE 'only_ours' END
                WHEN o.hour IS NULL THEN CASE WHEN abs(i.amount) <= ${TOLERANCE} THEN 'matched' ELSE 'only_iso' END
                WHEN abs(i.amount - o.amount) > ${TOLERANCE} THEN 'amount_differs'
                ELSE 'matched' END AS status
      FROM iso i FULL JOIN ours o ON o.hour = i.hour AND o.location = i.location AND o.market = i.market)`;

export interface Difference {
  hour: string;
  location: string;
  market: "DA" | "RT";
  status: DiffStatus;
  iso_mw: number | null;
  iso_amount: number | null;
  our_mw: number | null;
  our_amount: number | null;
  /** ISO − ours, $ (a side that is missing counts as 0). */
  difference: number;
  /** The statement's first line (1-based, as in the file) of this hour and location; null when only ours. */
  first_line: number | null;
  review: { status: ReviewStatus; comment: string; by: string | null; at: string } | null;
}

export interface DifferenceFilter {
  status?: DiffStatus | "differences";
  market?: "DA" | "RT";
  location?: string;
  review?: ReviewStatus | "none";
}

const num = (col: string) => `round(${col}, 4)::float8`;

const DIFF_SELECT = `SELECT ${isoUtc("c.hour")} AS hour, c.location, c.market, c.status,
       ${num("c.iso_mw")} AS iso_mw, ${num("c.iso_amount")} AS iso_amount, ${num("c.our_mw")} AS our_mw,
       ${num("c.our_amount")} AS our_amount,
       round(coalesce(c.iso_amount, 0) - coalesce(c.our_amount, 0), 4)::float8 AS difference, c.first_line,
       CASE WHEN r.status IS NULL THEN NULL ELSE json_build_object('status', r.status, 'comment', r.comment,
         'by', u.email, 'at', ${isoUtc("r.updated_at")}) END AS review
  FROM cmp c
  LEFT JOIN settlement_reviews r ON r.statement_id = $2 AND r.hour = c.hour AND r.location = c.location
   AND r.market = c.market
  LEFT JOIN users u ON u.id = r.updated_by`;

/** $3 status filter, $4 market, $5 location, $6 review. */
const DIFF_WHERE = `($3::text IS NULL OR ($3 = 'differences' AND c.status <> 'matched') OR c.status = $3)
    AND ($4::text IS NULL OR c.market = $4) AND ($5::text IS NULL OR c.location = upper($5))
    AND ($6::text IS NULL OR ($6 = 'none' AND r.status IS NULL) OR r.status = $6)`;

const filterParams = (f: DifferenceFilter) => [
  f.status ?? null,
  f.market ?? null,
  f.location?.trim() || null,
  f.review ?? null,
];

/** The differences in hour, location, market order; a page of them, keyset by that order. */
export async function listDifferences(
  q: Queryable,
  orgId: string,
  statementId: string,
  f: DifferenceFilter & { limit: number; cursor?: string },
) {
  const after = decodeCursor(f.cursor, [z.iso.datetime({ offset: true }), z.string().max(64), z.enum(["DA", "RT"])]);
  const rows = await q.query<Difference>(
    `WITH ${COMPARISON}
     ${DIFF_SELECT}
      WHERE ${DIFF_WHERE}
        AND ($7::timestamptz IS NULL OR (c.hour, c.location, c.market) > ($7::timestamptz, $8::text, $9::text))
      ORDER BY c.hour, c.location, c.market LIMIT $10`,
    [orgId, statementId, ...filterParams(f), after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, f.limit + 1],
  );
  return pageOf(rows, f.limit, (d) => [d.hour, d.location, d.market]);
}

export interface ComparisonTotal {
  status: DiffStatus;
  count: number;
  iso_amount: number;
  our_amount: number;
  difference: number;
}

/** Per status: how many hour-location-market lines, and their amounts (within the filter, status aside). */
export async function comparisonTotals(
  q: Queryable,
  orgId: string,
  statementId: string,
  f: DifferenceFilter = {},
): Promise<ComparisonTotal[]> {
  const rows = await q.query<ComparisonTotal>(
    `WITH ${COMPARISON}
     SELECT c.status, count(*)::int AS count, round(coalesce(sum(c.iso_amount), 0), 2)::float8 AS iso_amount,
            round(coalesce(sum(c.our_amount), 0), 2)::float8 AS our_amount,
            round(coalesce(sum(coalesce(c.iso_amount, 0) - coalesce(c.our_amount, 0)), 0), 2)::float8 AS difference
       FROM cmp c LEFT JOIN settlement_reviews r ON r.statement_id = $2 AND r.hour = c.hour
        AND r.location = c.location AND r.market = c.market
      WHERE ${DIFF_WHERE}
      GROUP BY c.status`,
    [orgId, statementId, null, ...filterParams(f).slice(1)],
  );
  return DIFF_STATUSES.map((status) =>
    rows.find((r) => r.status === status) ?? { status, count: 0, iso_amount: 0, our_amount: 0, difference: 0 }
  );
}

/** One line of the comparison (for a review), or null when the statement has no such hour/location/market. */
export async function getDifference(
  q: Queryable,
  orgId: string,
  statementId: string,
  key: { hour: string; location: string; market: "DA" | "RT" },
): Promise<Difference | null> {
  const [row] = await q.query<Difference>(
    `WITH ${COMPARISON}
     ${DIFF_SELECT}
      WHERE c.hour = $3::timestamptz AND c.location = upper($4) AND c.market = $5`,
    [orgId, statementId, key.hour, key.location.trim(), key.market],
  );
  return row ?? null;
}

export async function putReview(
  q: Queryable,
  r: {
    orgId: string;
    statementId: string;
    hour: string;
    location: string;
    market: string;
    status: ReviewStatus;
    comment: string;
    userId: string | null;
  },
) {
  await q.query(
    `INSERT INTO settlement_reviews (statement_id, org_id, hour, location, market, status, comment, updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (statement_id, hour, location, market)
       DO UPDATE SET status = $6, comment = $7, updated_by = $8, updated_at = now()`,
    [r.statementId, r.orgId, r.hour, r.location, r.market, r.status, r.comment, r.userId],
  );
}
