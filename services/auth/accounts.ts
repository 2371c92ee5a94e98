/**
 * Accounts: registration, login with lockout and MFA, token refresh with
 * rotation and reuse detection, logout, password change, MFA enrolment.
 * Every outcome a security reviewer asks about is audited.
 */
import { HttpError } from "../../framework/http_error.ts";
import type { Database, Queryable } from "../../db/database.ts";
import { audit } from "./audit.ts";
import { type JwtKeys, signAccessToken } from "./jwt.ts";
import { sha256Hex } from "../crypto/sha256.ts";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "./password.ts";
import { checkPassword, loadPasswordPolicy } from "./password_policy.ts";
import type { Principal } from "./principal.ts";
import { AUTH_LIMITS, type RateLimiter, type RateRule } from "./rate_limit.ts";
import type { Role } from "./rbac.ts";
import { claimRefreshToken, endAllSessions, issueRefreshToken, revokeFamily } from "./sessions.ts";
import { generateBackupCodes, generateTotpSecret, hashBackupCode, qrSvg, totpUri, verifyTotp } from "./totp.ts";

export const ACCESS_TTL_S = 900;
export const LOCKOUT_THRESHOLD = 5;
export const LOCKOUT_MS = 15 * 60_000;

export interface RequestMeta {
  ip: string;
  userAgent?: string;
}

export interface TokenPair {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
  refresh_expires_at: string;
  user: { id: string; email: string; name: string };
  organization: { id: string; name: string };
  role: Role;
}

export interface AccountDeps {
  db: () => Database;
  keys: () => Promise<JwtKeys>;
  limiter: RateLimiter;
  /** Sessions, roles or user status changed (committed): cached principals are stale. */
  changed: () => void;
}

interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  status: string;
  failed_logins: number;
  locked_until: Date | null;
  mfa_enabled: boolean;
  mfa_secret: string | null;
  mfa_last_step: string | null;
}

const emailTaken = () =>
  new HttpError(409, "An account with this email exists; log in instead", { code: "email_taken" });

/** SQLSTATE 23505 from either driver (postgres.js and PGlite both set `code`). */
const isUniqueViolation = (e: unknown) => (e as { code?: unknown } | null)?.code === "23505";

const fieldError = (field: string, message: string, code = "validation_failed") =>
  new HttpError(400, `${field}: ${message}`, { code, details: [{ path: `body.${field}`, message, code }] });

export function createAccounts(deps: AccountDeps) {
  async function limit(rule: RateRule, id: string) {
    const d = await deps.limiter.hit(rule, id);
    if (!d.allowed) {
      throw new HttpError(429, `Too many attempts; try again in ${d.retryAfterS} s`, {
        code: "rate_limited",
        headers: { "Retry-After": String(d.retryAfterS) },
      });
    }
  }

  async function orgOf(q: Queryable, userId: string): Promise<{ id: string; name: string; role: Role } | null> {
    const [m] = await q.query<{ id: string; name: string; role: Role }>(
      `SELECT o.id, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.org_id
        WHERE m.user_id = $1 ORDER BY m.created_at LIMIT 1`,
      [userId],
    );
    return m ?? null;
  }

  async function startSession(
    q: Queryable,
    user: { id: string; email: string; name: string },
    org: { id: string; name: string; role: Role },
    meta: RequestMeta,
    family?: { familyId: string; expiresAt: Date },
  ): Promise<TokenPair> {
    const refresh = await issueRefreshToken(q, {
      userId: user.id,
      orgId: org.id,
      familyId: family?.familyId,
      expiresAt: family?.expiresAt,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    const access = await signAccessToken(await deps.keys(), {
      sub: user.id,
      org: org.id,
      role: org.role,
      sid: refresh.familyId,
    }, { ttlSeconds: ACCESS_TTL_S });
    return {
      access_token: access,
      token_type: "Bearer",
      expires_in: ACCESS_TTL_S,
      refresh_token: refresh.token,
      refresh_expires_at: refresh.expiresAt.toISOString(),
      user: { id: user.id, email: user.email, name: user.name },
      organization: { id: org.id, name: org.name },
      role: org.role,
    };
  }

  async function requireStrongPassword(password: string, inputs: string[]) {
    await loadPasswordPolicy();
    const check = checkPassword(password, inputs);
    if (!check.ok) throw fieldError("password", check.reason, "weak_password");
  }

  async function recordAttempt(
    q: Queryable,
    a: { email: string; userId?: string; ip: string; success: boolean; reason?: string },
  ) {
    await q.query(
      `INSERT INTO login_attempts (email, user_id, ip, success, reason) VALUES ($1, $2, $3, $4, $5)`,
      [a.email.toLowerCase(), a.userId ?? null, a.ip, a.success, a.reason ?? null],
    );
  }

  /** Checks a TOTP or backup code and consumes it; false when wrong or already used. */
  async function consumeSecondFactor(
    q: Queryable,
    user: Pick<UserRow, "id" | "mfa_secret" | "mfa_last_step">,
    code: { totp?: string; backup?: string },
  ): Promise<"totp" | "backup" | false> {
    if (code.totp && user.mfa_secret) {
      const step = verifyTotp(user.mfa_secret, code.totp);
      if (step === null) return false;
      // A code is good once: the step must be newer than the last accepted one (checked in the UPDATE).
      const rows = await q.query(
        `UPDATE users SET mfa_last_step = $2 WHERE id = $1 AND (mfa_last_step IS NULL OR mfa_last_step < $2)
         RETURNING id`,
        [user.id, step],
      );
      return rows.length ? "totp" : false;
    }
    if (code.backup) {
      // `used_at IS NULL` again outside the subquery: a concurrent use commits first, and only the
      // outer WHERE is re-checked against the row it left, so without it both uses would succeed.
      const rows = await q.query(
        `UPDATE mfa_backup_codes SET used_at = now()
          WHERE id = (SELECT id FROM mfa_backup_codes WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL LIMIT 1)
            AND used_at IS NULL
          RETURNING id`,
        [user.id, await hashBackupCode(code.backup)],
      );
      return rows.length ? "backup" : false;
    }
    return false;
  }

  return {
    async register(
      input: { email: string; password: string; name: string; organization_name?: string; invitation_token?: string },
      meta: RequestMeta,
    ): Promise<TokenPair> {
      await limit(AUTH_LIMITS.registerPerIp, meta.ip);
      const email = input.email.trim();
      await requireStrongPassword(input.password, [email, input.name, input.organization_name ?? ""]);
      const passwordHash = await hashPassword(input.password);
      return await deps.db().transaction(async (tx) => {
        const [taken] = await tx.query(`SELECT 1 FROM users WHERE lower(email) = lower($1)`, [email]);
        if (taken) throw emailTaken();
        let org: { id: string; name: string; role: Role };
        let invitationId: string | undefined;
        if (input.invitation_token) {
          const [inv] = await tx.query<{ id: string; org_id: string; name: string; email: string; role: Role }>(
            `SELECT i.id, i.org_id, o.name, i.email, i.role FROM invitations i JOIN organizations o ON o.id = i.org_id
              WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
              FOR UPDATE OF i`,
            [await sha256Hex(input.invitation_token)],
          );
          if (!inv) throw fieldError("invitation_token", "is invalid, expired or already used", "invalid_invitation");
          if (inv.email.toLowerCase() !== email.toLowerCase()) {
            throw fieldError("email", "must be the address the invitation was sent to", "invitation_email_mismatch");
          }
          org = { id: inv.org_id, name: inv.name, role: inv.role };
          invitationId = inv.id;
        } else {
          const [created] = await tx.query<{ id: string; name: string }>(
            `INSERT INTO organizations (name) VALUES ($1) RETURNING id, name`,
            [input.organization_name!.trim()],
          );
          org = { ...created, role: "admin" };
        }
        const [user] = await tx.query<{ id: string; email: string; name: string }>(
          `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) RETURNING id, email, name`,
          [email, input.name.trim(), passwordHash],
        );
        await tx.query(`INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)`, [
          org.id,
          user.id,
          org.role,
        ]);
        if (invitationId) {
          await tx.query(`UPDATE invitations SET accepted_at = now() WHERE id = $1`, [invitationId]);
          await audit(tx, {
            orgId: org.id,
            actorUserId: user.id,
            action: "invitation.accepted",
            targetType: "invitation",
            targetId: invitationId,
            ip: meta.ip,
            details: { role: org.role },
          });
        } else {
          await audit(tx, {
            orgId: org.id,
            actorUserId: user.id,
            action: "org.created",
            targetType: "organization",
            targetId: org.id,
            ip: meta.ip,
          });
        }
        await audit(tx, { orgId: org.id, actorUserId: user.id, action: "auth.register", ip: meta.ip });
        return await startSession(tx, user, org, meta);
      }).catch((e) => {
        // Two registrations of one email at once both pass the check above; the unique index refuses the later.
        throw isUniqueViolation(e) ? emailTaken() : e;
      });
    },

    async login(
      input: { email: string; password: string; totp_code?: string; backup_code?: string },
      meta: RequestMeta,
    ): Promise<TokenPair> {
      const email = input.email.trim().toLowerCase();
      await limit(AUTH_LIMITS.loginPerIp, meta.ip);
      await limit(AUTH_LIMITS.loginPerAccount, email);
      const db = deps.db();
      const [user] = await db.query<UserRow>(
        `SELECT id, email, name, password_hash, status, failed_logins, locked_until, mfa_enabled, mfa_secret,
                mfa_last_step::text AS mfa_last_step
           FROM users WHERE lower(email) = $1`,
        [email],
      );
      const invalid = () => new HttpError(401, "Email or password is wrong", { code: "invalid_credentials" });
      if (!user) {
        // Same work as a real check, so response time does not reveal which emails exist.
        await verifyAgainstDummy(input.password);
        await recordAttempt(db, { email, ip: meta.ip, success: false, reason: "unknown_email" });
        throw invalid();
      }
      const org = await orgOf(db, user.id);
      const lockedFor = user.locked_until ? user.locked_until.getTime() - Date.now() : 0;
      if (lockedFor > 0) {
        await recordAttempt(db, { email, userId: user.id, ip: meta.ip, success: false, reason: "locked" });
        throw locked(lockedFor);
      }
      const passwordOk = await verifyPassword(input.password, user.password_hash);
      let factorOk: "totp" | "backup" | false | "none" = "none";
      if (passwordOk && user.mfa_enabled) {
        if (!input.totp_code && !input.backup_code) {
          await recordAttempt(db, { email, userId: user.id, ip: meta.ip, success: false, reason: "mfa_required" });
          throw new HttpError(401, "Enter the code from your authenticator app (or a backup code)", {
            code: "mfa_required",
          });
        }
        factorOk = await consumeSecondFactor(db, user, { totp: input.totp_code, backup: input.backup_code });
      }
      if (!passwordOk || factorOk === false) {
        const reason = passwordOk ? "invalid_mfa_code" : "invalid_password";
        // Counted and locked in one statement, so concurrent failures cannot slip past the threshold.
        const [after] = await db.query<{ failed_logins: number; locked_until: Date | null }>(
          `UPDATE users SET
              failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
              locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + ($3 || ' milliseconds')::interval
                                  ELSE locked_until END
            WHERE id = $1 RETURNING failed_logins, locked_until`,
          [user.id, LOCKOUT_THRESHOLD, String(LOCKOUT_MS)],
        );
        await recordAttempt(db, { email, userId: user.id, ip: meta.ip, success: false, reason });
        await audit(db, {
          orgId: org?.id ?? null,
          actorUserId: user.id,
          action: "auth.login_failed",
          ip: meta.ip,
          details: { reason },
        });
        if (after.locked_until && after.locked_until.getTime() > Date.now()) {
          await audit(db, {
            orgId: org?.id ?? null,
            actorUserId: user.id,
            action: "auth.lockout",
            ip: meta.ip,
            details: { until: after.locked_until.toISOString(), failures: LOCKOUT_THRESHOLD },
          });
          throw locked(after.locked_until.getTime() - Date.now());
        }
        if (reason === "invalid_mfa_code") {
          throw new HttpError(401, "The authentication code is wrong or was already used", {
            code: "invalid_mfa_code",
          });
        }
        throw invalid();
      }
      if (user.status !== "active") {
        await recordAttempt(db, { email, userId: user.id, ip: meta.ip, success: false, reason: "disabled" });
        throw new HttpError(403, "This account is disabled; ask an admin of your organization", {
          code: "account_disabled",
        });
      }
      if (!org) throw new HttpError(403, "This account belongs to no organization", { code: "no_organization" });
      await db.query(`UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, [user.id]);
      await recordAttempt(db, { email, userId: user.id, ip: meta.ip, success: true });
      await audit(db, {
        orgId: org.id,
        actorUserId: user.id,
        action: "auth.login",
        ip: meta.ip,
        details: factorOk === "backup" ? { mfa: "backup_code" } : factorOk === "totp" ? { mfa: "totp" } : {},
      });
      return await startSession(db, user, org, meta);
    },

    async refresh(token: string, meta: RequestMeta): Promise<TokenPair> {
      await limit(AUTH_LIMITS.refreshPerIp, meta.ip);
      const db = deps.db();
      const claim = await claimRefreshToken(db, token);
      if (!claim.ok) {
        if (claim.reason === "reused" && claim.session) {
          const revoked = await revokeFamily(db, claim.session.family_id, "reuse_detected");
          deps.changed();
          await audit(db, {
            orgId: claim.session.org_id,
            actorUserId: claim.session.user_id,
            action: "auth.refresh_reuse",
            targetType: "session",
            targetId: claim.session.family_id,
            ip: meta.ip,
            details: { revoked_tokens: revoked },
          });
          throw new HttpError(401, "This refresh token was already used; the session has been ended", {
            code: "refresh_token_reused",
          });
        }
        throw new HttpError(401, "The refresh token is invalid or expired", { code: "invalid_refresh_token" });
      }
      const s = claim.session;
      const [row] = await db.query<{ email: string; name: string; status: string; org_name: string; role: Role }>(
        `SELECT u.email, u.name, u.status, o.name AS org_name, m.role
           FROM users u JOIN memberships m ON m.user_id = u.id AND m.org_id = $2 JOIN organizations o ON o.id = m.org_id
          WHERE u.id = $1`,
        [s.user_id, s.org_id],
      );
      if (!row || row.status !== "active") {
        await revokeFamily(db, s.family_id, "user_inactive");
        deps.changed();
        throw new HttpError(401, "The refresh token is invalid or expired", { code: "invalid_refresh_token" });
      }
      return await startSession(
        db,
        { id: s.user_id, email: row.email, name: row.name },
        { id: s.org_id, name: row.org_name, role: row.role },
        meta,
        { familyId: s.family_id, expiresAt: s.expires_at },
      );
    },

    async logout(p: Principal, opts: { everywhere?: boolean; refreshToken?: string }, meta: RequestMeta) {
      const db = deps.db();
      if (opts.everywhere) await endAllSessions(db, p.userId, "logout_everywhere");
      else if (p.sessionId) await revokeFamily(db, p.sessionId, "logout");
      if (opts.refreshToken) {
        await db.query(
          `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'logout'
            WHERE token_hash = $1 AND user_id = $2 AND revoked_at IS NULL`,
          [await sha256Hex(opts.refreshToken), p.userId],
        );
      }
      deps.changed();
      await audit(db, {
        orgId: p.orgId,
        actorUserId: p.userId,
        action: "auth.logout",
        ip: meta.ip,
        details: { everywhere: Boolean(opts.everywhere) },
      });
    },

    /** Logout of a browser whose access cookie has expired: the refresh cookie names the session. */
    async logoutByRefreshToken(token: string) {
      const db = deps.db();
      const [row] = await db.query<{ family_id: string }>(
        `SELECT family_id FROM refresh_tokens WHERE token_hash = $1`,
        [await sha256Hex(token)],
      );
      if (row) await revokeFamily(db, row.family_id, "logout");
      deps.changed();
    },

    async changePassword(p: Principal, current: string, next: string, meta: RequestMeta): Promise<TokenPair> {
      const db = deps.db();
      const [user] = await db.query<{ password_hash: string; email: string; name: string }>(
        `SELECT password_hash, email, name FROM users WHERE id = $1`,
        [p.userId],
      );
      if (!(await verifyPassword(current, user.password_hash))) {
        throw fieldError("current_password", "is wrong", "invalid_credentials");
      }
      await loadPasswordPolicy();
      const check = checkPassword(next, [user.email, user.name]);
      if (!check.ok) throw fieldError("new_password", check.reason, "weak_password");
      const hash = await hashPassword(next);
      const tokens = await db.transaction(async (tx) => {
        await tx.query(`UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, [p.userId, hash]);
        await endAllSessions(tx, p.userId, "password_changed");
        await audit(tx, { orgId: p.orgId, actorUserId: p.userId, action: "auth.password_changed", ip: meta.ip });
        const org = (await orgOf(tx, p.userId))!;
        return await startSession(tx, { id: p.userId, email: user.email, name: user.name }, org, meta);
      });
      deps.changed();
      return tokens;
    },

    async mfaSetup(p: Principal, meta: RequestMeta) {
      const db = deps.db();
      const [u] = await db.query<{ mfa_enabled: boolean }>(`SELECT mfa_enabled FROM users WHERE id = $1`, [p.userId]);
      if (u.mfa_enabled) {
        throw new HttpError(409, "Two-factor authentication is already on; disable it first", {
          code: "mfa_already_enabled",
        });
      }
      const secret = generateTotpSecret();
      await db.query(`UPDATE users SET mfa_secret = $2, mfa_last_step = NULL WHERE id = $1`, [p.userId, secret]);
      await audit(db, { orgId: p.orgId, actorUserId: p.userId, action: "mfa.setup_started", ip: meta.ip });
      const uri = totpUri({ secret, account: p.email });
      return { secret, otpauth_uri: uri, qr_svg: await qrSvg(uri) };
    },

    /** A setup started but not confirmed: the same secret again (e.g. after a mistyped code). */
    async mfaPending(p: Principal) {
      const [u] = await deps.db().query<{ mfa_enabled: boolean; mfa_secret: string | null }>(
        `SELECT mfa_enabled, mfa_secret FROM users WHERE id = $1`,
        [p.userId],
      );
      if (!u || u.mfa_enabled || !u.mfa_secret) return null;
      const uri = totpUri({ secret: u.mfa_secret, account: p.email });
      return { secret: u.mfa_secret, otpauth_uri: uri, qr_svg: await qrSvg(uri) };
    },

    async mfaVerify(p: Principal, code: string, meta: RequestMeta): Promise<{ backup_codes: string[] }> {
      const db = deps.db();
      await limit(AUTH_LIMITS.mfaPerAccount, p.userId);
      const [u] = await db.query<UserRow>(
        `SELECT id, mfa_enabled, mfa_secret, mfa_last_step::text AS mfa_last_step FROM users WHERE id = $1`,
        [p.userId],
      );
      if (u.mfa_enabled) {
        throw new HttpError(409, "Two-factor authentication is already on", { code: "mfa_already_enabled" });
      }
      if (!u.mfa_secret) throw new HttpError(409, "Start the setup first", { code: "mfa_setup_required" });
      if (!(await consumeSecondFactor(db, u, { totp: code }))) {
        throw fieldError("code", "is wrong or expired; check your device's clock", "invalid_mfa_code");
      }
      const codes = generateBackupCodes(10);
      await db.transaction(async (tx) => {
        await tx.query(`UPDATE users SET mfa_enabled = true WHERE id = $1`, [p.userId]);
        await tx.query(`DELETE FROM mfa_backup_codes WHERE user_id = $1`, [p.userId]);
        for (const c of codes) {
          await tx.query(`INSERT INTO mfa_backup_codes (user_id, code_hash) VALUES ($1, $2)`, [
            p.userId,
            await hashBackupCode(c),
          ]);
        }
        await audit(tx, { orgId: p.orgId, actorUserId: p.userId, action: "mfa.enabled", ip: meta.ip });
      });
      return { backup_codes: codes };
    },

    async mfaDisable(p: Principal, input: { password: string; code: string }, meta: RequestMeta) {
      const db = deps.db();
      await limit(AUTH_LIMITS.mfaPerAccount, p.userId);
      const [u] = await db.query<UserRow>(
        `SELECT id, password_hash, mfa_enabled, mfa_secret, mfa_last_step::text AS mfa_last_step FROM users
          WHERE id = $1`,
        [p.userId],
      );
      if (!u.mfa_enabled) throw new HttpError(409, "Two-factor authentication is off", { code: "mfa_not_enabled" });
      if (!(await verifyPassword(input.password, u.password_hash))) {
        throw fieldError("password", "is wrong", "invalid_credentials");
      }
      const isTotp = /^\d{6}$/.test(input.code.trim());
      const ok = await consumeSecondFactor(db, u, isTotp ? { totp: input.code.trim() } : { backup: input.code });
      if (!ok) throw fieldError("code", "is wrong or already used", "invalid_mfa_code");
      await db.transaction(async (tx) => {
        await tx.query(
          `UPDATE users SET mfa_enabled = false, mfa_secret = NULL, mfa_last_step = NULL WHERE id = $1`,
          [p.userId],
        );
        await tx.query(`DELETE FROM mfa_backup_codes WHERE user_id = $1`, [p.userId]);
        await audit(tx, { orgId: p.orgId, actorUserId: p.userId, action: "mfa.disabled", ip: meta.ip });
      });
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;

function locked(ms: number): HttpError {
  const s = Math.max(1, Math.ceil(ms / 1000));
  return new HttpError(423, `Too many failed logins: this account is locked for ${Math.ceil(s / 60)} more minute(s)`, {
    code: "account_locked",
    headers: { "Retry-After": String(s) },
  });
}
