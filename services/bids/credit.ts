/**
 * The per-organization credit limit of virtual bids: the notional exposure (virtual.ts `notional`) of its
 * pending virtuals — submitted or cleared, not yet settled — may not exceed `virtual_settings.credit_limit`.
 * Checked in the transaction that makes virtual bids live, after a row lock on the organization's settings,
 * so two concurrent submissions cannot both pass on the same headroom. No settings row: a limit of $0.
 */
import { z } from "zod";
import type { Database, Queryable, Transaction } from "../../db/database.ts";
import { audit, callerEntry } from "../auth/audit.ts";
import type { Caller } from "./actions.ts";
import { DomainError } from "../errors.ts";
import { COLUMNS, decimal } from "../schemas/numeric.ts";
import type { Segment } from "./schema.ts";
import { notional } from "./virtual.ts";

export interface VirtualSettings {
  credit_limit: number;
  fee_per_mwh: number;
  updated_at: string | null;
}

export async function getVirtualSettings(q: Queryable, orgId: string): Promise<VirtualSettings> {
  const [row] = await q.query<VirtualSettings>(
    `SELECT credit_limit::float8 AS credit_limit, fee_per_mwh::float8 AS fee_per_mwh,
            to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at
       FROM virtual_settings WHERE org_id = $1`,
    [orgId],
  );
  return row ?? { credit_limit: 0, fee_per_mwh: 0, updated_at: null };
}

export async function putVirtualSettings(
  q: Queryable,
  orgId: string,
  userId: string | null,
  s: { credit_limit: number; fee_per_mwh: number },
): Promise<VirtualSettings> {
  await q.query(
    `INSERT INTO virtual_settings (org_id, credit_limit, fee_per_mwh, updated_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (org_id) DO UPDATE SET credit_limit = $2, fee_per_mwh = $3, updated_by = $4, updated_at = now()`,
    [orgId, s.credit_limit, s.fee_per_mwh, userId],
  );
  return await getVirtualSettings(q, orgId);
}

/** Notional of the organization's pending virtuals, $, leaving out `except` (bids being judged now). */
export async function pendingExposure(q: Queryable, orgId: string, except: readonly string[] = []): Promise<number> {
  const rows = await q.query<{ segments: Segment[]; hours: number }>(
    `SELECT segments, extract(epoch FROM interval_end - interval_start)::float8 / 3600 AS hours FROM bids
      WHERE org_id = $1 AND kind = 'virtual' AND status IN ('submitted', 'cleared') AND id <> ALL($2::uuid[])`,
    [orgId, except],
  );
  return rows.reduce((sum, r) => sum + notional(r.segments, r.hours), 0);
}

const dollars = (v: number) => `$${v.toLocaleString("en-US", { maximumFractionDigits: 2 })}`;

/**
 * Refuses (409 `credit_limit_exceeded`) virtual bids whose notional, on top of the pending virtuals, exceeds
 * the organization's limit. Takes the settings row lock (creating the row at $0 if missing) for the rest of
 * the transaction.
 */
export async function checkCredit(
  tx: Transaction,
  orgId: string,
  bids: readonly { id: string; segments: readonly Segment[]; interval_start: string; interval_end: string }[],
): Promise<void> {
  if (!bids.length) return;
  await tx.query(`INSERT INTO virtual_settings (org_id) VALUES ($1) ON CONFLICT (org_id) DO NOTHING`, [orgId]);
  const [{ limit }] = await tx.query<{ limit: number }>(
    `SELECT credit_limit::float8 AS "limit" FROM virtual_settings WHERE org_id = $1 FOR UPDATE`,
    [orgId],
  );
  const pending = await pendingExposure(tx, orgId, bids.map((b) => b.id));
  const asked = bids.reduce(
    (sum, b) => sum + notional(b.segments, (Date.parse(b.interval_end) - Date.parse(b.interval_start)) / 3_600_000),
    0,
  );
  // A cent of tolerance: notional sums are binary floats.
  if (pending + asked <= limit + 0.005) return;
  throw new DomainError(
    "conflict",
    `Virtual credit limit exceeded: these bids put ${dollars(asked)} at stake on top of ${dollars(pending)} ` +
      `pending, above your organization's limit of ${dollars(limit)} (an admin sets it on /settings)`,
    {
      code: "credit_limit_exceeded",
      details: { credit_limit: limit, pending_exposure: round2(pending), requested: round2(asked) },
    },
  );
}

/** The settings as an admin sends them: both fields, in the columns' precision. */
export const virtualSettingsInput = z.object({
  credit_limit: decimal(COLUMNS["virtual_settings.credit_limit"], { min: 0 })
    .describe("Most notional exposure ($) of pending virtual bids; 0 refuses every virtual bid"),
  fee_per_mwh: decimal(COLUMNS["virtual_settings.fee_per_mwh"], { min: 0, max: 1000 })
    .describe("Fee per awarded MWh of a settled virtual bid (ISO uplift), $"),
});

/** Changes the organization's virtual settings, audited (`virtual_settings.updated`, before and after). */
export async function updateVirtualSettings(
  db: Database,
  c: Pick<Caller, "principal" | "ip">,
  input: z.infer<typeof virtualSettingsInput>,
): Promise<VirtualSettings & { pending_exposure: number }> {
  return await db.transaction(async (tx) => {
    const orgId = c.principal.orgId;
    const before = await getVirtualSettings(tx, orgId);
    const after = await putVirtualSettings(tx, orgId, c.principal.userId, input);
    await audit(
      tx,
      callerEntry(c, "organization", "virtual_settings.updated", orgId, {
        before: { credit_limit: before.credit_limit, fee_per_mwh: before.fee_per_mwh },
        after: { credit_limit: after.credit_limit, fee_per_mwh: after.fee_per_mwh },
      }),
    );
    return { ...after, pending_exposure: round2(await pendingExposure(tx, orgId)) };
  });
}

export const round2 = (v: number) => Math.round(v * 100) / 100;
