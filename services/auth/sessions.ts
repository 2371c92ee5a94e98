/**
 * Refresh tokens: opaque, stored hashed, rotated on every use. A login starts a
 * family; each refresh marks the presented token rotated and issues its
 * successor with the family's absolute expiry. Presenting a rotated token again
 * means it was stolen or replayed, so the whole family is revoked.
 */
import type { Database, Queryable } from "../../db/database.ts";
import { randomToken } from "./opaque.ts";
import { sha256Hex } from "../crypto/sha256.ts";

export const SESSION_ABSOLUTE_MS = 30 * 24 * 3600_000;
export const SESSION_IDLE_MS = 7 * 24 * 3600_000;
export const REFRESH_PREFIX = "obr_";

export interface SessionRow {
  id: string;
  family_id: string;
  user_id: string;
  org_id: string;
  expires_at: Date;
}

export async function issueRefreshToken(
  q: Queryable,
  s: { userId: string; orgId: string; familyId?: string; expiresAt?: Date; ip?: string; userAgent?: string },
): Promise<{ token: string; familyId: string; expiresAt: Date }> {
  const token = randomToken(REFRESH_PREFIX);
  const expiresAt = s.expiresAt ?? new Date(Date.now() + SESSION_ABSOLUTE_MS);
  const idle = new Date(Math.min(expiresAt.getTime(), Date.now() + SESSION_IDLE_MS));
  const [row] = await q.query<{ family_id: string }>(
    `INSERT INTO refresh_tokens (family_id, user_id, org_id, token_hash, expires_at, idle_expires_at, ip, user_agent)
     VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8) RETURNING family_id`,
    [
      s.familyId ?? null,
      s.userId,
      s.orgId,
      await sha256Hex(token),
      expiresAt,
      idle,
      s.ip ?? null,
      s.userAgent?.slice(0, 300) ?? null,
    ],
  );
  return { token, familyId: row.family_id, expiresAt };
}

/**
 * How long a just-rotated token still buys a successor. Two tabs (or a retried request whose
 * answer was lost) refresh with the same token at once: the loser would otherwise look like a
 * thief and end the session of both. Past this window a second use is treated as reuse.
 */
export const REFRESH_GRACE_MS = 5_000;

export type RotateResult =
  /** Also when the token was rotated within the grace window: the caller issues a sibling successor. */
  | { ok: true; session: SessionRow }
  | { ok: false; reason: "unknown" | "expired" | "revoked" | "reused"; session?: SessionRow };

/**
 * Claims the token for one rotation. The UPDATE's WHERE is the lock: of two
 * concurrent refreshes with one token only one row update succeeds; the other
 * sees a rotated token, which within `graceMs` of its rotation (and with the
 * family still live) is a concurrent refresh rather than reuse.
 */
export async function claimRefreshToken(
  db: Database,
  token: string,
  graceMs = REFRESH_GRACE_MS,
): Promise<RotateResult> {
  if (!token.startsWith(REFRESH_PREFIX)) return { ok: false, reason: "unknown" };
  const hash = await sha256Hex(token);
  const claimed = await db.query<SessionRow>(
    `UPDATE refresh_tokens SET rotated_at = now()
      WHERE token_hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL
        AND expires_at > now() AND idle_expires_at > now()
      RETURNING id, family_id, user_id, org_id, expires_at`,
    [hash],
  );
  if (claimed.length) return { ok: true, session: claimed[0] };
  const [row] = await db.query<
    SessionRow & { rotated_at: Date | null; revoked_at: Date | null; in_grace: boolean; live: boolean }
  >(
    `SELECT id, family_id, user_id, org_id, expires_at, rotated_at, revoked_at,
            rotated_at > now() - make_interval(secs => $2::float8 / 1000) AS in_grace,
            expires_at > now() AND idle_expires_at > now() AS live
       FROM refresh_tokens WHERE token_hash = $1`,
    [hash, graceMs],
  );
  if (!row) return { ok: false, reason: "unknown" };
  const { rotated_at, revoked_at, in_grace, live, ...session } = row;
  if (revoked_at) return { ok: false, reason: rotated_at ? "reused" : "revoked", session };
  if (rotated_at) return in_grace && live ? { ok: true, session } : { ok: false, reason: "reused", session };
  return { ok: false, reason: "expired", session };
}

export async function revokeFamily(q: Queryable, familyId: string, reason: string): Promise<number> {
  const rows = await q.query(
    `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $2
      WHERE family_id = $1 AND revoked_at IS NULL RETURNING id`,
    [familyId, reason],
  );
  return rows.length;
}

/** Ends every session of a user: refresh tokens revoked, access tokens void via tokens_valid_after. */
export async function endAllSessions(q: Queryable, userId: string, reason: string): Promise<void> {
  await q.query(
    `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
    [userId, reason],
  );
  // The "not before" of access tokens. iat has whole seconds, so a token from earlier in the same
  // second still passes this check; its session (sid) is revoked above, which the request check also reads.
  await q.query(`UPDATE users SET tokens_valid_after = now(), updated_at = now() WHERE id = $1`, [userId]);
}
