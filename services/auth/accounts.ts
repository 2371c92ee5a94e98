/**
 * Accounts: registration, login with lockout and MFA, token refresh with
 * rotation and reuse detection, logout, password change, MFA enrolment.
 * Every outcome a security reviewer asks about is audited.
 */
import type { Database, Queryable } from "../../db/database.ts";
import { conflict, DomainError, forbidden, invalid } from "../errors.ts";
import { audit } from "./audit.ts";
import { type JwtKeys, signAccessToken } from "./jwt.ts";
import { sha256Hex } from "../crypto/sha256.ts";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "./password.ts";
import { checkPassword, loadPasswordPolicy } from "./password_policy.ts";
import {
  addressLockMs,
  admitAttempt,
  claimThrottleSlot,
  clearFailures,
  countFailure,
  finishAttempt,
  isFamiliar,
  LOCKOUT_MS,
  LOCKOUT_THRESHOLD,
  THROTTLE_AFTER,
} from "./login_guard.ts";
import { signMfaChallenge, verifyMfaChallenge } from "./mfa_challenge.ts";
import type { Principal } from "./principal.ts";
import { AUTH_LIMITS, type RateLimiter, type RateRule } from "./rate_limit.ts";
import type { Role } from "./rbac.ts";
import { claimRefreshToken, endAllSessions, issueRefreshToken, revokeFamily } from "./sessions.ts";
import { generateBackupCodes, generateTotpSecret, hashBackupCode, qrSvg, totpUri, verifyTotp } from "./totp.ts";

/** The default access-token lifetime; ACCESS_TOKEN_TTL_S overrides it (services/config/env.ts). */
export const ACCESS_TTL_S = 900;
export { LOCKOUT_MS, LOCKOUT_THRESHOLD };

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
  /** Access-token lifetime in seconds (default ACCESS_TTL_S). */
  accessTtlS?: number;
  /** See REFRESH_GRACE_MS; tests shorten it. */
  refreshGraceMs?: number;
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

const emailTaken = () => conflict("An account with this email exists; log in instead", { code: "email_taken" });

/** SQLSTATE 23505 from either driver (postgres.js and PGlite both set `code`). */
const isUniqueViolation = (e: unknown) => (e as { code?: unknown } | null)?.code === "23505";

const fieldError = (field: string, message: string, code = "validation_failed") =>
  invalid(`${field}: ${message}`, { code, details: [{ path: `body.${field}`, message, code }] });

const unauthenticated = (message: string, code: string, details?: unknown) =>
  new DomainError("unauthenticated", message, { code, details });

export function createAccounts(deps: AccountDeps) {
  async function limit(rule: RateRule, id: string) {
    const d = await deps.limiter.hit(rule, id);
    if (!d.allowed) {
      throw new DomainError("rate_limited", `Too many attempts; try again in ${d.retryAfterS} s`, {
        code: "rate_limited",
        retryAfter: d.retryAfterS,
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
    }, { ttlSeconds: deps.accessTtlS ?? ACCESS_TTL_S });
    return {
      access_token: access,
      token_type: "Bearer",
      expires_in: deps.accessTtlS ?? ACCESS_TTL_S,
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

    /**
     * Password (or the `mfa_challenge` a password step issued) plus the second factor when the
     * account has one. Who may try now is login_guard.ts's rule.
     */
    async login(
      input: { email: string; password?: string; mfa_challenge?: string; totp_code?: string; backup_code?: string },
      meta: RequestMeta,
    ): Promise<TokenPair> {
      const email = input.email.trim().toLowerCase();
      await limit(AUTH_LIMITS.loginPerIp, meta.ip);
      const db = deps.db();
      const { id: attempt, lockedMs: lockedFor } = await admitAttempt(db, email, meta.ip);
      if (lockedFor > 0) {
        await finishAttempt(db, attempt, { success: false, reason: "locked" });
        throw locked(lockedFor);
      }
      // The account and its organization (as orgOf picks it) in one round trip.
      const [user] = await db.query<
        UserRow & {
          org_id: string | null;
          org_name: string | null;
          org_role: Role | null;
          org_suspended: boolean | null;
        }
      >(
        `SELECT u.id, u.email, u.name, u.password_hash, u.status, u.failed_logins, u.locked_until, u.mfa_enabled,
                u.mfa_secret, u.mfa_last_step::text AS mfa_last_step,
                o.id AS org_id, o.name AS org_name, o.role AS org_role, o.suspended AS org_suspended
           FROM users u
           LEFT JOIN LATERAL (
             SELECT o.id, o.name, m.role, o.suspended_at IS NOT NULL AS suspended FROM memberships m JOIN organizations o ON o.id = m.org_id
              WHERE m.user_id = u.id ORDER BY m.created_at LIMIT 1
           ) o ON true
          WHERE lower(u.email) = $1`,
        [email],
      );
      const invalidCredentials = () => unauthenticated("Email or password is wrong", "invalid_credentials");
      if (!user) {
        // Same work as a real check, so response time does not reveal which emails exist.
        await verifyAgainstDummy(input.password ?? "");
        await finishAttempt(db, attempt, { success: false, reason: "unknown_email" });
        await lockIfDue(null);
        throw invalidCredentials();
      }
      const org = user.org_id ? { id: user.org_id, name: user.org_name!, role: user.org_role! } : null;
      const withCode = Boolean(input.totp_code || input.backup_code);
      // An MFA account's attempt with a code is a guess at both: not worth slowing for the owner.
      const secondFactorAttempt = user.mfa_enabled && withCode;
      if (
        user.failed_logins >= THROTTLE_AFTER && !secondFactorAttempt &&
        !(await isFamiliar(db, { email, userId: user.id, ip: meta.ip }))
      ) {
        const slot = await claimThrottleSlot(db, user.id);
        if (!slot.ok) {
          await finishAttempt(db, attempt, { success: false, reason: "throttled", userId: user.id });
          throw new DomainError(
            "rate_limited",
            "Too many failed sign-ins to this account lately; try again later, sign in from a device you have " +
              "used before, or use your authentication code",
            { code: "login_throttled", retryAfter: Math.ceil(slot.ms / 1000) },
          );
        }
      }
      let passwordOk: boolean;
      if (input.mfa_challenge) {
        if (!(await verifyMfaChallenge(await deps.keys(), input.mfa_challenge, user))) {
          // A forged or stale challenge is no password guess: nothing to count, just start over.
          await finishAttempt(db, attempt, { success: false, reason: "mfa_challenge_invalid", userId: user.id });
          throw unauthenticated("The sign-in took too long; enter your password again", "mfa_challenge_invalid");
        }
        passwordOk = true;
      } else {
        passwordOk = await verifyPassword(input.password ?? "", user.password_hash);
      }
      let factorOk: "totp" | "backup" | false | "none" = "none";
      if (passwordOk && user.mfa_enabled) {
        if (!withCode) {
          await finishAttempt(db, attempt, { success: false, reason: "mfa_required", userId: user.id });
          throw unauthenticated("Enter the code from your authenticator app (or a backup code)", "mfa_required", {
            mfa_challenge: await signMfaChallenge(await deps.keys(), user.id, user.password_hash),
          });
        }
        factorOk = await consumeSecondFactor(db, user, { totp: input.totp_code, backup: input.backup_code });
      }
      if (!passwordOk || factorOk === false) {
        const reason = passwordOk ? "invalid_mfa_code" : "invalid_password";
        const failures = await countFailure(db, user.id);
        await finishAttempt(db, attempt, { success: false, reason, userId: user.id });
        await audit(db, {
          orgId: org?.id ?? null,
          actorUserId: user.id,
          action: "auth.login_failed",
          ip: meta.ip,
          details: { reason },
        });
        if (failures === THROTTLE_AFTER) {
          await audit(db, {
            orgId: org?.id ?? null,
            actorUserId: user.id,
            action: "auth.login_throttled",
            ip: meta.ip,
            details: { failures },
          });
        }
        await lockIfDue(org?.id ?? null, user.id);
        // While an account is under attack, the answer to a password-and-code guess must not say
        // which half was right, or the code would be a way around the throttle.
        if (reason === "invalid_mfa_code" && user.failed_logins < THROTTLE_AFTER) {
          throw unauthenticated("The authentication code is wrong or was already used", "invalid_mfa_code");
        }
        throw invalidCredentials();
      }
      if (user.status !== "active") {
        await finishAttempt(db, attempt, { success: false, reason: "disabled", userId: user.id });
        throw forbidden("This account is disabled; ask an admin of your organization", { code: "account_disabled" });
      }
      if (!org) {
        await finishAttempt(db, attempt, { success: false, reason: "no_organization", userId: user.id });
        throw forbidden("This account belongs to no organization", { code: "no_organization" });
      }
      if (user.org_suspended) {
        await finishAttempt(db, attempt, { success: false, reason: "organization_suspended", userId: user.id });
        throw forbidden("Your organization is suspended; contact the platform's operator", {
          code: "organization_suspended",
        });
      }
      await clearFailures(db, user.id);
      await finishAttempt(db, attempt, { success: true, userId: user.id });
      await audit(db, {
        orgId: org.id,
        actorUserId: user.id,
        action: "auth.login",
        ip: meta.ip,
        details: factorOk === "backup" ? { mfa: "backup_code" } : factorOk === "totp" ? { mfa: "totp" } : {},
      });
      return await startSession(db, user, org, meta);

      /** After a failure: if it was this address's last allowed one, say so now (audited once). */
      async function lockIfDue(orgId: string | null, userId?: string) {
        const ms = await addressLockMs(db, { email, ip: meta.ip, upTo: attempt, inclusive: true });
        if (ms <= 0) return;
        if (userId) {
          await audit(db, {
            orgId,
            actorUserId: userId,
            action: "auth.lockout",
            ip: meta.ip,
            details: { until: new Date(Date.now() + ms).toISOString(), failures: LOCKOUT_THRESHOLD, scope: "address" },
          });
        }
        throw locked(ms);
      }
    },

    async refresh(token: string, meta: RequestMeta): Promise<TokenPair> {
      await limit(AUTH_LIMITS.refreshPerIp, meta.ip);
      const db = deps.db();
      const claim = await claimRefreshToken(db, token, deps.refreshGraceMs);
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
          throw unauthenticated(
            "This refresh token was already used; the session has been ended",
            "refresh_token_reused",
          );
        }
        throw unauthenticated("The refresh token is invalid or expired", "invalid_refresh_token");
      }
      const s = claim.session;
      const [row] = await db.query<
        { email: string; name: string; status: string; org_name: string; role: Role; suspended: boolean }
      >(
        `SELECT u.email, u.name, u.status, o.name AS org_name, m.role, o.suspended_at IS NOT NULL AS suspended
           FROM users u JOIN memberships m ON m.user_id = u.id AND m.org_id = $2 JOIN organizations o ON o.id = m.org_id
          WHERE u.id = $1`,
        [s.user_id, s.org_id],
      );
      if (!row || row.status !== "active" || row.suspended) {
        await revokeFamily(db, s.family_id, "user_inactive");
        deps.changed();
        throw unauthenticated("The refresh token is invalid or expired", "invalid_refresh_token");
      }
      // A concurrent refresh (see REFRESH_GRACE_MS) gets a successor of its own in the same family:
      // the plain token of the winner's is not stored anywhere to hand out twice.
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
        throw conflict("Two-factor authentication is already on; disable it first", { code: "mfa_already_enabled" });
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
        throw conflict("Two-factor authentication is already on", { code: "mfa_already_enabled" });
      }
      if (!u.mfa_secret) throw conflict("Start the setup first", { code: "mfa_setup_required" });
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
      deps.changed(); // /api/auth/me says whether MFA is on
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
      if (!u.mfa_enabled) throw conflict("Two-factor authentication is off", { code: "mfa_not_enabled" });
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
      deps.changed();
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;

/** This address, for this account only: the owner elsewhere is not refused. */
function locked(ms: number): DomainError {
  const s = Math.max(1, Math.ceil(ms / 1000));
  return new DomainError(
    "rate_limited",
    `Too many failed sign-ins from here: try again in ${Math.ceil(s / 60)} minute(s)`,
    { code: "login_locked", retryAfter: s },
  );
}
