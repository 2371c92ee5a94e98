/**
 * Quotas on what an organization holds (assets, API keys): checked in the transaction that adds one,
 * against the database's own count, so every instance agrees without any shared counter.
 */
import type { Queryable } from "../../db/database.ts";
import { DomainError } from "../errors.ts";
import { effectiveQuotas, QUOTA_LABELS, type QuotaOverrides } from "./quotas.ts";

const COUNTS = {
  assets: `SELECT count(*)::int AS n FROM assets WHERE org_id = $1`,
  api_keys: `SELECT count(*)::int AS n FROM api_keys
              WHERE org_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
} as const;

/** Throws 429 `quota_exceeded` when adding `adding` more would pass the organization's quota. */
export async function assertHoldingQuota(
  q: Queryable,
  orgId: string,
  kind: keyof typeof COUNTS,
  adding = 1,
): Promise<void> {
  const [[{ n }], own] = await Promise.all([
    q.query<{ n: number }>(COUNTS[kind], [orgId]),
    q.query<Partial<QuotaOverrides>>(`SELECT ${kind} FROM org_quotas WHERE org_id = $1`, [orgId]),
  ]);
  const limit = effectiveQuotas(own[0])[kind];
  if (n + adding > limit) {
    throw new DomainError(
      "rate_limited",
      `Your organization's quota of ${limit} ${QUOTA_LABELS[kind]} is used up; remove one or ask the operator`,
      // Nothing frees up by waiting; a day is what a client should wait before trying on its own.
      { code: "quota_exceeded", retryAfter: 86_400, details: { quota: kind, limit, used: n } },
    );
  }
}
