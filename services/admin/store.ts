/** The admin console's SQL: flags, quotas, organizations as the platform operator sees them, usage. */
import type { Queryable } from "../../db/database.ts";
import { evaluateFlag, type Flag, FLAG_DEFAULT, type FlagKey } from "./flags.ts";
import { QUOTA_KEYS, type QuotaOverrides } from "./quotas.ts";

export async function loadFlags(q: Queryable): Promise<Flag[]> {
  const [flags, overrides] = await Promise.all([
    q.query<{ key: string; description: string; enabled: boolean; rollout_percent: number | null }>(
      `SELECT key, description, enabled, rollout_percent FROM feature_flags ORDER BY key`,
    ),
    q.query<{ flag_key: string; org_id: string; enabled: boolean }>(
      `SELECT flag_key, org_id, enabled FROM feature_flag_overrides`,
    ),
  ]);
  const byKey = new Map<string, Map<string, boolean>>();
  for (const o of overrides) {
    let m = byKey.get(o.flag_key);
    if (!m) byKey.set(o.flag_key, m = new Map());
    m.set(o.org_id, o.enabled);
  }
  return flags.map((f) => ({ ...f, overrides: byKey.get(f.key) ?? new Map() }));
}

export interface FlagInput {
  description?: string;
  enabled: boolean;
  rollout_percent: number | null;
}

export async function upsertFlag(q: Queryable, key: string, f: FlagInput): Promise<void> {
  await q.query(
    `INSERT INTO feature_flags (key, description, enabled, rollout_percent) VALUES ($1, coalesce($2, ''), $3, $4)
     ON CONFLICT (key) DO UPDATE SET description = coalesce($2, feature_flags.description), enabled = $3,
       rollout_percent = $4, updated_at = now()`,
    [key, f.description ?? null, f.enabled, f.rollout_percent],
  );
}

/** `enabled` null removes the override. Returns whether the flag exists. */
export async function setOverride(q: Queryable, key: string, orgId: string, enabled: boolean | null): Promise<boolean> {
  const [flag] = await q.query(`SELECT 1 FROM feature_flags WHERE key = $1`, [key]);
  if (!flag) return false;
  if (enabled === null) {
    await q.query(`DELETE FROM feature_flag_overrides WHERE flag_key = $1 AND org_id = $2`, [key, orgId]);
  } else {
    await q.query(
      `INSERT INTO feature_flag_overrides (flag_key, org_id, enabled) VALUES ($1, $2, $3)
       ON CONFLICT (flag_key, org_id) DO UPDATE SET enabled = $3, updated_at = now()`,
      [key, orgId, enabled],
    );
  }
  return true;
}

export async function loadQuotaOverrides(q: Queryable): Promise<Map<string, QuotaOverrides>> {
  const rows = await q.query<QuotaOverrides & { org_id: string }>(
    `SELECT org_id, ${QUOTA_KEYS.join(", ")} FROM org_quotas`,
  );
  return new Map(rows.map(({ org_id, ...r }) => [org_id, r]));
}

export async function saveQuotas(q: Queryable, orgId: string, own: QuotaOverrides): Promise<void> {
  const cols = QUOTA_KEYS.join(", ");
  const params = QUOTA_KEYS.map((_, i) => `$${i + 2}`).join(", ");
  const sets = QUOTA_KEYS.map((k) => `${k} = excluded.${k}`).join(", ");
  await q.query(
    `INSERT INTO org_quotas (org_id, ${cols}) VALUES ($1, ${params})
     ON CONFLICT (org_id) DO UPDATE SET ${sets}, updated_at = now()`,
    [orgId, ...QUOTA_KEYS.map((k) => own[k])],
  );
}

export interface OrgSummary {
  id: string;
  name: string;
  created_at: Date;
  suspended_at: Date | null;
  suspended_reason: string | null;
  members: number;
  api_requests_today: number;
  bids_today: number;
}

/** Every organization, newest first, with its members and today's usage (the operator's list). */
export async function listOrganizations(
  q: Queryable,
  o: { limit: number; cursor?: { created_at: string; id: string }; search?: string },
): Promise<OrgSummary[]> {
  const params: unknown[] = [o.limit];
  const where: string[] = [];
  if (o.cursor) {
    params.push(o.cursor.created_at, o.cursor.id);
    where.push(`(o.created_at, o.id) < ($2::timestamptz, $3::uuid)`);
  }
  if (o.search) {
    params.push(`%${o.search.replace(/[\\%_]/g, "\\$&")}%`);
    where.push(`o.name ILIKE $${params.length} ESCAPE '\\'`);
  }
  return await q.query<OrgSummary>(
    `SELECT o.id, o.name, o.created_at, o.suspended_at, o.suspended_reason,
            (SELECT count(*)::int FROM memberships m WHERE m.org_id = o.id) AS members,
            coalesce((SELECT count FROM org_usage_daily u WHERE u.org_id = o.id AND u.day = (now() AT TIME ZONE 'UTC')::date
                        AND u.metric = 'api_requests'), 0)::float8 AS api_requests_today,
            coalesce((SELECT count FROM org_usage_daily u WHERE u.org_id = o.id AND u.day = (now() AT TIME ZONE 'UTC')::date
                        AND u.metric = 'bids'), 0)::float8 AS bids_today
       FROM organizations o
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY o.created_at DESC, o.id DESC LIMIT $1`,
    params,
  );
}

export async function getOrganization(q: Queryable, id: string): Promise<OrgSummary | null> {
  const [row] = await q.query<OrgSummary>(
    `SELECT o.id, o.name, o.created_at, o.suspended_at, o.suspended_reason,
            (SELECT count(*)::int FROM memberships m WHERE m.org_id = o.id) AS members,
            0::float8 AS api_requests_today, 0::float8 AS bids_today
       FROM organizations o WHERE o.id = $1::uuid`,
    [id],
  );
  return row ?? null;
}

export interface MemberRow {
  id: string;
  email: string;
  name: string;
  role: string;
  status: string;
  joined_at: Date;
}

export async function orgMembers(q: Queryable, orgId: string): Promise<MemberRow[]> {
  return await q.query<MemberRow>(
    `SELECT u.id, u.email, u.name, m.role, u.status, m.created_at AS joined_at
       FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY m.created_at`,
    [orgId],
  );
}

/** Sets or clears the suspension (in the caller's transaction); the previous state, or null for no such organization. */
export async function setSuspended(
  q: Queryable,
  orgId: string,
  reason: string | null,
  suspend: boolean,
): Promise<{ wasSuspended: boolean } | null> {
  const [prev] = await q.query<{ was: boolean }>(
    `SELECT suspended_at IS NOT NULL AS was FROM organizations WHERE id = $1 FOR UPDATE`,
    [orgId],
  );
  if (!prev) return null;
  await q.query(
    `UPDATE organizations SET suspended_at = CASE WHEN $2 THEN coalesce(suspended_at, now()) END,
            suspended_reason = CASE WHEN $2 THEN $3 END, updated_at = now()
      WHERE id = $1`,
    [orgId, suspend, reason],
  );
  return { wasSuspended: prev.was };
}

/** Every open session of the organization ends (its members sign in again after a reactivation). */
export async function endSessions(q: Queryable, orgId: string): Promise<number> {
  const rows = await q.query(
    `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'organization_suspended'
      WHERE org_id = $1 AND revoked_at IS NULL RETURNING id`,
    [orgId],
  );
  return rows.length;
}

export type UsageMetric = "api_requests" | "bids" | "ws_connections" | "rejected";

/** Adds counts to the daily table: one statement for everything an instance gathered since its last flush. */
export async function addUsage(
  q: Queryable,
  rows: { orgId: string; day: string; metric: UsageMetric; count: number }[],
): Promise<void> {
  if (!rows.length) return;
  await q.query(
    `INSERT INTO org_usage_daily (org_id, day, metric, count)
     SELECT o, d::date, m, c FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[]) AS t(o, d, m, c)
        WHERE EXISTS (SELECT 1 FROM organizations WHERE id = o)
     ON CONFLICT (org_id, day, metric) DO UPDATE SET count = org_usage_daily.count + excluded.count`,
    [rows.map((r) => r.orgId), rows.map((r) => r.day), rows.map((r) => r.metric), rows.map((r) => r.count)],
  );
}

export interface UsageDay {
  day: string;
  api_requests: number;
  bids: number;
  ws_connections: number;
  rejected: number;
}

/** One row per UTC day in [from, to] (days without usage are zeros), oldest first. */
export async function dailyUsage(q: Queryable, orgId: string, from: string, to: string): Promise<UsageDay[]> {
  return await q.query<UsageDay>(
    `SELECT to_char(d, 'YYYY-MM-DD') AS day,
            coalesce(sum(u.count) FILTER (WHERE u.metric = 'api_requests'), 0)::float8 AS api_requests,
            coalesce(sum(u.count) FILTER (WHERE u.metric = 'bids'), 0)::float8 AS bids,
            coalesce(sum(u.count) FILTER (WHERE u.metric = 'ws_connections'), 0)::float8 AS ws_connections,
            coalesce(sum(u.count) FILTER (WHERE u.metric = 'rejected'), 0)::float8 AS rejected
       FROM generate_series($2::date, $3::date, interval '1 day') AS d
       LEFT JOIN org_usage_daily u ON u.org_id = $1 AND u.day = d::date
      GROUP BY d ORDER BY d`,
    [orgId, from, to],
  );
}

/** What the organization holds now (the countable quotas). */
export async function holdings(
  q: Queryable,
  orgId: string,
): Promise<{ assets: number; api_keys: number; members: number }> {
  const [row] = await q.query<{ assets: number; api_keys: number; members: number }>(
    `SELECT (SELECT count(*)::int FROM assets WHERE org_id = $1) AS assets,
            (SELECT count(*)::int FROM api_keys WHERE org_id = $1 AND revoked_at IS NULL
                AND (expires_at IS NULL OR expires_at > now())) AS api_keys,
            (SELECT count(*)::int FROM memberships WHERE org_id = $1) AS members`,
    [orgId],
  );
  return row;
}

/**
 * Whether `orgId` has the flag, read in the caller's transaction: for services that must refuse a
 * feature on every path (jobs and strategies too), not only at the HTTP edge, which reads the cache.
 */
export async function featureEnabledIn(q: Queryable, orgId: string, key: FlagKey): Promise<boolean> {
  const [row] = await q.query<
    { key: string; description: string; enabled: boolean; rollout_percent: number | null; override: boolean | null }
  >(
    `SELECT f.key, f.description, f.enabled, f.rollout_percent, o.enabled AS override
       FROM feature_flags f
       LEFT JOIN feature_flag_overrides o ON o.flag_key = f.key AND o.org_id = $2
      WHERE f.key = $1`,
    [key, orgId],
  );
  if (!row) return FLAG_DEFAULT;
  const { override, ...flag } = row;
  return evaluateFlag({ ...flag, overrides: new Map(override === null ? [] : [[orgId, override]]) }, orgId).enabled;
}
