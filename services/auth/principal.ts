/**
 * Who is calling: resolved from an access token (Bearer or cookie) or an API
 * key against the database. The answer is cached (principal_cache.ts) until
 * something that decides it changes: disabling a user, removing a member, a
 * role change, a logout or suspending the organization bumps the cache's
 * epoch, here at once and on every instance through the admin signal.
 */
import type { Database } from "../../db/database.ts";
import type { AccessClaims } from "./jwt.ts";
import { sha256Hex } from "../crypto/sha256.ts";
import { commonRole, type Role } from "./rbac.ts";

export const API_KEY_PREFIX = "obk_";

export interface Principal {
  userId: string;
  orgId: string;
  role: Role;
  /** An admin made this member an approver of others' bids (`memberships.approver`). */
  approver?: boolean;
  email: string;
  name: string;
  via: "bearer" | "cookie" | "api_key";
  /** The login session (refresh-token family) of an access token. */
  sessionId?: string;
  apiKeyId?: string;
}

export type Resolved =
  | {
    ok: true;
    principal: Principal;
    /** Until when the answer holds if nothing changes (ms since the epoch): the session's end. */
    notAfter?: number;
  }
  | { ok: false; code: "invalid_token" | "expired_token" };

/** The database's side of an access token whose signature and claims were already checked. */
export async function principalFromClaims(
  db: Database,
  claims: AccessClaims,
  via: "bearer" | "cookie",
): Promise<Resolved> {
  const [row] = await db.query<{
    email: string;
    name: string;
    status: string;
    not_before: number;
    role: Role;
    approver: boolean;
    live_until: Date | null;
  }>(
    `SELECT u.email, u.name, u.status, floor(extract(epoch FROM u.tokens_valid_after))::float8 AS not_before, m.role,
            m.approver,
            (SELECT max(r.expires_at) FROM refresh_tokens r
              WHERE r.family_id = $3::uuid AND r.user_id = u.id AND r.revoked_at IS NULL
                AND r.expires_at > now()) AS live_until
       FROM users u JOIN memberships m ON m.user_id = u.id AND m.org_id = $2::uuid
       JOIN organizations o ON o.id = m.org_id AND o.suspended_at IS NULL
      WHERE u.id = $1::uuid`,
    [claims.sub, claims.org, claims.sid],
  );
  if (!row || row.status !== "active" || !row.live_until || claims.iat < row.not_before) {
    return { ok: false, code: "invalid_token" };
  }
  return {
    ok: true,
    principal: {
      userId: claims.sub,
      orgId: claims.org,
      // The membership's role now, not the one when the token was issued.
      role: row.role,
      approver: row.approver,
      email: row.email,
      name: row.name,
      via,
      sessionId: claims.sid,
    },
    // A session that runs out is over even if nobody revokes it: the cached answer must not outlive it.
    notAfter: new Date(row.live_until).getTime(),
  };
}

export async function principalFromApiKey(db: Database, key: string): Promise<Resolved> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) return { ok: false, code: "invalid_token" };
  const [row] = await db.query<{
    id: string;
    org_id: string;
    user_id: string;
    key_role: Role;
    member_role: Role;
    approver: boolean;
    email: string;
    name: string;
    status: string;
    stale: boolean;
    expires_at: Date | null;
  }>(
    `SELECT k.id, k.org_id, k.user_id, k.role AS key_role, m.role AS member_role, m.approver, u.email, u.name, u.status,
            k.expires_at,
            (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute') AS stale
       FROM api_keys k
       JOIN users u ON u.id = k.user_id
       JOIN memberships m ON m.user_id = k.user_id AND m.org_id = k.org_id
       JOIN organizations o ON o.id = k.org_id AND o.suspended_at IS NULL
      WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())`,
    [await sha256Hex(key)],
  );
  if (!row || row.status !== "active") return { ok: false, code: "invalid_token" };
  // Written at most once a minute: a busy key must not turn every read into a write.
  if (row.stale) await db.query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1`, [row.id]);
  return {
    ok: true,
    principal: {
      userId: row.user_id,
      orgId: row.org_id,
      // A key never outranks its creator, even one demoted after creating it, and never gains a
      // permission it was not made with (an analyst key of a creator demoted to trader is no trader key).
      role: commonRole(row.key_role, row.member_role),
      approver: row.approver,
      email: row.email,
      name: row.name,
      via: "api_key",
      apiKeyId: row.id,
    },
    // A key that expires is refused from then on, not when its cached answer runs out.
    ...(row.expires_at ? { notAfter: new Date(row.expires_at).getTime() } : {}),
  };
}
