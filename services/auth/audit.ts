/** The audit log: who did what, in which organization, from where, when. Append-only. */
import { z } from "zod";
import { type Queryable, whenCommitted } from "../../db/database.ts";
import { log } from "../log/logger.ts";

/** An action filter: exact (`auth.login`) or a family (`auth.*`). */
export const auditActionFilter = z.string().trim().regex(
  /^[a-z_]+(\.[a-z_*]+)*$/,
  "Like auth.login, or auth.* for a family",
)
  .max(64);

export interface AuditEntry {
  orgId: string | null;
  actorUserId?: string | null;
  actorApiKeyId?: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  ip?: string | null;
  details?: Record<string, unknown>;
}

export async function audit(q: Queryable, e: AuditEntry): Promise<void> {
  await q.query(
    `INSERT INTO audit_logs (org_id, actor_user_id, actor_api_key_id, action, target_type, target_id, ip, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
    [
      e.orgId,
      e.actorUserId ?? null,
      e.actorApiKeyId ?? null,
      e.action,
      e.targetType ?? null,
      e.targetId ?? null,
      e.ip ?? null,
      JSON.stringify(e.details ?? {}),
    ],
  );
  auditWritten(q, [e.orgId]);
}

/**
 * Who is told that an organization has a new audit entry (the app's realtime hub, which pushes it to the
 * organization's live activity feeds). Process-wide because the writers are plain functions called with
 * nothing but a query handle; each app adds its listener at start and removes it at close.
 */
const auditListeners = new Set<(orgId: string) => void>();

export function onAuditWritten(fn: (orgId: string) => void): () => void {
  auditListeners.add(fn);
  return () => void auditListeners.delete(fn);
}

/**
 * Every writer of `audit_logs` calls this after its insert (this file's `audit`, and the bid statements that
 * write their entries in the same SQL). The listeners hear of it once it is committed, so whoever reads
 * the log on hearing of it finds the entry: in a transaction after its commit, else at once.
 */
export function auditWritten(q: Queryable, orgIds: Iterable<string | null | undefined>): void {
  if (auditListeners.size === 0) return;
  const orgs = new Set<string>();
  for (const o of orgIds) if (o) orgs.add(o);
  if (orgs.size === 0) return;
  const tell = () => {
    for (const org of orgs) {
      for (const fn of auditListeners) {
        try {
          fn(org);
        } catch (e) {
          log.warn("audit: a listener failed", { error: String(e) });
        }
      }
    }
  };
  whenCommitted(q, tell);
}

export interface AuditQuery {
  orgId: string;
  actor?: string;
  action?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
  /** Only entries newer than this id (a live feed asking for what came since its newest). */
  after?: string;
}

export interface AuditRow {
  id: string;
  action: string;
  actor_user_id: string | null;
  actor_email: string | null;
  actor_api_key_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  created_at: Date;
}

/** Cursor = the last row's id: rows are ordered newest first by id, which is monotonic with insertion. */
export async function listAudit(
  q: Queryable,
  f: AuditQuery,
): Promise<{ items: AuditRow[]; nextCursor: string | null }> {
  const where = ["a.org_id = $1"];
  const params: unknown[] = [f.orgId];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace("?", `$${params.length}`));
  };
  if (f.actor) add("a.actor_user_id = ?::uuid", f.actor);
  if (f.action) {
    // "auth.*" filters a family of actions: a prefix, with LIKE's own wildcards (`_`, `%`) taken literally.
    f.action.endsWith(".*")
      ? add("a.action LIKE ? ESCAPE '\\'", f.action.slice(0, -1).replace(/[\\%_]/g, "\\$&") + "%")
      : add("a.action = ?", f.action);
  }
  if (f.from) add("a.created_at >= ?", f.from);
  if (f.to) add("a.created_at < ?", f.to);
  if (f.cursor) add("a.id < ?::bigint", f.cursor);
  if (f.after) add("a.id > ?::bigint", f.after);
  params.push(f.limit + 1);
  const rows = await q.query<AuditRow>(
    `SELECT a.id::text AS id, a.action, a.actor_user_id, u.email AS actor_email, a.actor_api_key_id, a.target_type,
            a.target_id, a.ip, a.details, a.created_at
       FROM audit_logs a LEFT JOIN users u ON u.id = a.actor_user_id
      WHERE ${where.join(" AND ")}
      ORDER BY a.id DESC LIMIT $${params.length}`,
    params,
  );
  const more = rows.length > f.limit;
  const items = more ? rows.slice(0, f.limit) : rows;
  return { items, nextCursor: more ? items[items.length - 1].id : null };
}

/** The audit entry of an action a caller (a principal, from an address) took on one target. */
export function callerEntry(
  c: { principal: { orgId: string; userId: string; apiKeyId?: string | null }; ip?: string | null },
  targetType: string,
  action: string,
  targetId: string,
  details: Record<string, unknown> = {},
): AuditEntry {
  return {
    orgId: c.principal.orgId,
    actorUserId: c.principal.userId,
    actorApiKeyId: c.principal.apiKeyId ?? null,
    action,
    targetType,
    targetId,
    ip: c.ip ?? null,
    details,
  };
}
