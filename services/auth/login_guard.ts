/**
 * Who may try a password now (README "Security" → "Sign-in throttling").
 *
 * A lock that any stranger can trigger is a denial of service, so no rule here
 * refuses the account's owner on the strength of other people's failures:
 * - per account and address: LOCKOUT_THRESHOLD failures within LOCKOUT_MS lock
 *   that address out of that account (even with the right password);
 * - per account, all addresses: after THROTTLE_AFTER consecutive failures an
 *   address that has never signed in to the account (FAMILIAR_MS) gets one try
 *   per growing delay. A familiar address, and an attempt carrying a second
 *   factor for an account with MFA, are not slowed: guessing a password is
 *   worthless there, and they are how the owner gets in during an attack.
 *
 * The account-wide state is `users.failed_logins` (failures in a row, any
 * address) and `users.locked_until`, which no longer locks anyone: it is when
 * an unfamiliar address may next try.
 *
 * The address counts come from `login_attempts`, where each attempt is written
 * before its password is checked, under a lock per account and address, so
 * concurrent guesses from one address see each other instead of all reading
 * "no failures yet".
 */
import type { Database, Queryable } from "../../db/database.ts";

export const LOCKOUT_THRESHOLD = 5;
export const LOCKOUT_MS = 15 * 60_000;
export const THROTTLE_AFTER = 10;
export const THROTTLE_BASE_MS = 30_000;
export const THROTTLE_MAX_MS = 15 * 60_000;
export const FAMILIAR_MS = 30 * 24 * 3600_000;

/** Outcomes that are a wrong guess; refusals (locked, throttled) and "now the code" are not. */
const FAILURES = ["pending", "invalid_password", "invalid_mfa_code", "unknown_email"];

/** The wait before the next try from an unfamiliar address once an account has `failures` in a row. */
export function throttleDelayMs(failures: number): number {
  if (failures < THROTTLE_AFTER) return 0;
  return Math.min(THROTTLE_MAX_MS, THROTTLE_BASE_MS * 2 ** (failures - THROTTLE_AFTER));
}

/**
 * Records an attempt before its outcome is known (`finishAttempt` fills it in) and says whether its
 * address is locked out of the account. The transaction lock is held for these two statements only,
 * not while the password is checked.
 */
export async function admitAttempt(db: Database, email: string, ip: string): Promise<{ id: string; lockedMs: number }> {
  return await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))::text`, [`login:${email}|${ip}`]);
    const [row] = await tx.query<{ id: string }>(
      `INSERT INTO login_attempts (email, ip, success, reason) VALUES ($1, $2, false, 'pending') RETURNING id::text`,
      [email, ip],
    );
    return { id: row.id, lockedMs: await addressLockMs(tx, { email, ip, upTo: row.id, inclusive: false }) };
  });
}

export async function finishAttempt(
  q: Queryable,
  id: string,
  outcome: { success: boolean; reason?: string; userId?: string },
): Promise<void> {
  await q.query(`UPDATE login_attempts SET success = $2, reason = $3, user_id = $4 WHERE id = $1`, [
    id,
    outcome.success,
    outcome.reason ?? null,
    outcome.userId ?? null,
  ]);
}

/**
 * Milliseconds this address stays locked out of this account (0: not locked), counting the
 * failures since its last success up to attempt `upTo` (inclusive when `inclusive`).
 */
export async function addressLockMs(
  q: Queryable,
  a: { email: string; ip: string; upTo: string; inclusive: boolean },
): Promise<number> {
  const [row] = await q.query<{ ms: number }>(
    `SELECT (extract(epoch FROM created_at + make_interval(secs => $5::float8 / 1000) - now()) * 1000)::float8 AS ms
       FROM login_attempts
      WHERE lower(email) = $1 AND ip = $2 AND success = false AND reason = ANY($6::text[])
        AND created_at > now() - make_interval(secs => $5::float8 / 1000)
        AND (id < $3::bigint OR ($4 AND id = $3::bigint))
        AND id > coalesce((SELECT max(id) FROM login_attempts
                            WHERE lower(email) = $1 AND ip = $2 AND success
                              AND created_at > now() - make_interval(secs => $5::float8 / 1000)), 0)
      ORDER BY id DESC OFFSET $7 LIMIT 1`,
    [a.email, a.ip, a.upTo, a.inclusive, LOCKOUT_MS, FAILURES, LOCKOUT_THRESHOLD - 1],
  );
  return row ? Math.max(0, Number(row.ms)) : 0;
}

/** Whether this account has signed in from this address lately (then it is the owner's, or theirs to share). */
export async function isFamiliar(q: Queryable, a: { email: string; userId: string; ip: string }): Promise<boolean> {
  const rows = await q.query(
    `SELECT 1 FROM login_attempts
      WHERE lower(email) = $1 AND user_id = $2 AND ip = $3 AND success
        AND created_at > now() - make_interval(secs => $4::float8 / 1000)
      LIMIT 1`,
    [a.email, a.userId, a.ip, FAMILIAR_MS],
  );
  return rows.length > 0;
}

/**
 * Takes the account's next slot for an unfamiliar address, or says how long until there is one.
 * One UPDATE decides, so concurrent guesses from many addresses get one slot, not one each.
 */
export async function claimThrottleSlot(
  q: Queryable,
  userId: string,
): Promise<{ ok: true } | { ok: false; ms: number }> {
  const claimed = await q.query(
    `UPDATE users SET locked_until = CASE WHEN failed_logins >= $2
              THEN now() + make_interval(secs => $3::float8 / 1000 *
                                         least($4::float8, power(2, failed_logins - $2)))
              ELSE locked_until END
      WHERE id = $1 AND (failed_logins < $2 OR locked_until IS NULL OR locked_until <= now())
      RETURNING id`,
    [userId, THROTTLE_AFTER, THROTTLE_BASE_MS, THROTTLE_MAX_MS / THROTTLE_BASE_MS],
  );
  if (claimed.length) return { ok: true };
  const [row] = await q.query<{ ms: number }>(
    `SELECT (extract(epoch FROM locked_until - now()) * 1000)::float8 AS ms FROM users WHERE id = $1`,
    [userId],
  );
  return { ok: false, ms: Math.max(1000, Number(row?.ms ?? 1000)) };
}

/** Counts a wrong guess against the account; returns the failures in a row. */
export async function countFailure(q: Queryable, userId: string): Promise<number> {
  const [row] = await q.query<{ failed_logins: number }>(
    `UPDATE users SET failed_logins = failed_logins + 1,
            locked_until = CASE WHEN failed_logins + 1 >= $2
              THEN now() + make_interval(secs => $3::float8 / 1000 *
                                         least($4::float8, power(2, failed_logins + 1 - $2)))
              ELSE locked_until END
      WHERE id = $1 RETURNING failed_logins`,
    [userId, THROTTLE_AFTER, THROTTLE_BASE_MS, THROTTLE_MAX_MS / THROTTLE_BASE_MS],
  );
  return row?.failed_logins ?? 0;
}

export async function clearFailures(q: Queryable, userId: string): Promise<void> {
  await q.query(`UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, [userId]);
}
