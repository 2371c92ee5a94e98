/**
 * An organization's own administration: its profile, members and their roles,
 * invitations and API keys. Every function takes the caller's principal and
 * scopes every statement by its org_id; a row of another organization is
 * simply not found (404).
 */
import { assertHoldingQuota } from "../admin/holdings.ts";
import type { Database, Queryable } from "../../db/database.ts";
import { conflict, forbidden, notFound as notFoundError } from "../errors.ts";
import { audit } from "./audit.ts";
import { randomToken } from "./opaque.ts";
import { sha256Hex } from "../crypto/sha256.ts";
import { API_KEY_PREFIX, type Principal } from "./principal.ts";
import { type Role, roleWithin } from "./rbac.ts";
import { endAllSessions } from "./sessions.ts";
import { z } from "zod";
import { decodeCursor, type Page, pageOf, type PageRequest } from "../pagination.ts";

export const INVITATION_TTL_MS = 7 * 24 * 3600_000;

const notFound = (what: string) => notFoundError(`${what} not found`, { code: "not_found" });
/**
 * A timestamp as page keys compare it: to the millisecond, the precision it has in a cursor (a JS Date), so
 * a row is never skipped or repeated for its microseconds.
 */
const MS = (col: string) => `date_trunc('milliseconds', ${col})`;
const actor = (p: Principal) => ({ orgId: p.orgId, actorUserId: p.userId, actorApiKeyId: p.apiKeyId ?? null });

export interface OrgView {
  id: string;
  name: string;
  settings: Record<string, unknown>;
  created_at: Date;
  member_count: number;
}

export interface MemberView {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: "active" | "disabled";
  mfa_enabled: boolean;
  /** May approve others' bids (admins may anyway). */
  approver: boolean;
  joined_at: Date;
}

const MEMBER_SELECT = `SELECT u.id, u.email, u.name, m.role, u.status, u.mfa_enabled, m.approver,
       m.created_at AS joined_at
   FROM memberships m JOIN users u ON u.id = m.user_id`;

export function createOrganization(deps: { db: () => Database; changed?: () => void }) {
  const changed = () => deps.changed?.();
  /** An organization always keeps an active admin: checked with its admins' rows locked. */
  async function assertAnotherAdmin(tx: Queryable, orgId: string, userId: string) {
    const admins = await tx.query<{ user_id: string }>(
      `SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.org_id = $1 AND m.role = 'admin' AND u.status = 'active' FOR UPDATE OF m`,
      [orgId],
    );
    if (!admins.some((a) => a.user_id !== userId)) {
      throw conflict("An organization must keep at least one active admin", { code: "last_admin" });
    }
  }

  async function memberIn(q: Queryable, orgId: string, userId: string): Promise<MemberView> {
    const [m] = await q.query<MemberView>(`${MEMBER_SELECT} WHERE m.org_id = $1 AND m.user_id = $2::uuid`, [
      orgId,
      userId,
    ]);
    if (!m) throw notFound("User");
    return m;
  }

  /** Members by when they joined. */
  async function membersPage(p: Principal, page: PageRequest): Promise<Page<MemberView>> {
    const after = decodeCursor(page.cursor, [z.iso.datetime(), z.uuid()]);
    const rows = await deps.db().query<MemberView>(
      `${MEMBER_SELECT} WHERE m.org_id = $1
         AND ($2::timestamptz IS NULL OR (${MS("m.created_at")}, u.id) > ($2::timestamptz, $3::uuid))
       ORDER BY ${MS("m.created_at")}, u.id LIMIT $4`,
      [p.orgId, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
    );
    return pageOf(rows, page.limit, (r) => [new Date(r.joined_at).toISOString(), r.id]);
  }

  /** Pending invitations, newest first. */
  async function invitationsPage(p: Principal, page: PageRequest): Promise<Page<InvitationView>> {
    const after = decodeCursor(page.cursor, [z.iso.datetime(), z.uuid()]);
    const rows = await deps.db().query<InvitationView>(
      `SELECT ${INVITATION_COLUMNS} FROM invitations
        WHERE org_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL
          AND ($2::timestamptz IS NULL OR (${MS("created_at")}, id) < ($2::timestamptz, $3::uuid))
        ORDER BY ${MS("created_at")} DESC, id DESC LIMIT $4`,
      [p.orgId, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
    );
    return pageOf(rows, page.limit, (r) => [new Date(r.created_at).toISOString(), r.id]);
  }

  /** Keys not revoked, newest first: an admin's view has every key of the organization, others their own. */
  async function apiKeysPage(p: Principal, page: PageRequest, opts: { own?: boolean } = {}): Promise<Page<ApiKeyView>> {
    const after = decodeCursor(page.cursor, [z.iso.datetime(), z.uuid()]);
    const rows = await deps.db().query<ApiKeyView>(
      `SELECT ${API_KEY_COLUMNS} FROM api_keys
        WHERE org_id = $1 AND revoked_at IS NULL AND ($2 OR user_id = $3)
          AND ($4::timestamptz IS NULL OR (${MS("created_at")}, id) < ($4::timestamptz, $5::uuid))
        ORDER BY ${MS("created_at")} DESC, id DESC LIMIT $6`,
      [p.orgId, p.role === "admin" && !opts.own, p.userId, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
    );
    return pageOf(rows, page.limit, (r) => [new Date(r.created_at).toISOString(), r.id]);
  }

  return {
    membersPage,
    invitationsPage,
    apiKeysPage,
    async get(p: Principal): Promise<OrgView> {
      const [o] = await deps.db().query<OrgView>(
        `SELECT o.id, o.name, o.settings, o.created_at,
                (SELECT count(*)::int FROM memberships WHERE org_id = o.id) AS member_count
           FROM organizations o WHERE o.id = $1`,
        [p.orgId],
      );
      if (!o) throw notFound("Organization");
      return o;
    },

    async update(p: Principal, input: { name?: string; settings?: Record<string, unknown> }, ip: string) {
      const db = deps.db();
      await db.query(
        `UPDATE organizations SET name = coalesce($2, name), settings = coalesce($3::jsonb, settings),
                updated_at = now() WHERE id = $1`,
        [p.orgId, input.name?.trim() ?? null, input.settings ? JSON.stringify(input.settings) : null],
      );
      changed(); // the organization's name is cached with the profile
      await audit(db, {
        ...actor(p),
        action: "org.updated",
        targetType: "organization",
        targetId: p.orgId,
        ip,
        details: {
          fields: Object.keys(input),
        },
      });
      return await this.get(p);
    },

    async members(p: Principal): Promise<MemberView[]> {
      return (await membersPage(p, { limit: 1000 })).items;
    },

    member: (p: Principal, userId: string) => memberIn(deps.db(), p.orgId, userId),

    async updateMember(
      p: Principal,
      userId: string,
      input: { role?: Role; status?: "active" | "disabled"; name?: string; approver?: boolean },
      ip: string,
    ): Promise<MemberView> {
      const updated = await deps.db().transaction(async (tx) => {
        const before = await memberIn(tx, p.orgId, userId);
        const demotes = input.role && input.role !== "admin" && before.role === "admin";
        const disables = input.status === "disabled" && before.status === "active";
        if ((demotes || disables) && before.role === "admin") await assertAnotherAdmin(tx, p.orgId, userId);
        if (input.role && input.role !== before.role) {
          await tx.query(`UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2`, [
            p.orgId,
            userId,
            input.role,
          ]);
          await audit(tx, {
            ...actor(p),
            action: "member.role_changed",
            targetType: "user",
            targetId: userId,
            ip,
            details: { from: before.role, to: input.role },
          });
        }
        if (input.status && input.status !== before.status) {
          await tx.query(`UPDATE users SET status = $2, updated_at = now() WHERE id = $1`, [userId, input.status]);
          if (input.status === "disabled") await endAllSessions(tx, userId, "user_disabled");
          await audit(tx, {
            ...actor(p),
            action: input.status === "disabled" ? "member.disabled" : "member.enabled",
            targetType: "user",
            targetId: userId,
            ip,
          });
        }
        if (input.approver !== undefined && input.approver !== before.approver) {
          await tx.query(`UPDATE memberships SET approver = $3 WHERE org_id = $1 AND user_id = $2`, [
            p.orgId,
            userId,
            input.approver,
          ]);
          await audit(tx, {
            ...actor(p),
            action: input.approver ? "member.approver_granted" : "member.approver_revoked",
            targetType: "user",
            targetId: userId,
            ip,
          });
        }
        if (input.name && input.name.trim() !== before.name) {
          await tx.query(`UPDATE users SET name = $2, updated_at = now() WHERE id = $1`, [userId, input.name.trim()]);
        }
        return await memberIn(tx, p.orgId, userId);
      });
      changed();
      return updated;
    },

    async removeMember(p: Principal, userId: string, ip: string): Promise<void> {
      await deps.db().transaction(async (tx) => {
        const before = await memberIn(tx, p.orgId, userId);
        if (before.role === "admin") await assertAnotherAdmin(tx, p.orgId, userId);
        await tx.query(`DELETE FROM memberships WHERE org_id = $1 AND user_id = $2`, [p.orgId, userId]);
        await tx.query(
          `UPDATE api_keys SET revoked_at = now() WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL`,
          [
            p.orgId,
            userId,
          ],
        );
        await endAllSessions(tx, userId, "removed_from_organization");
        await audit(tx, {
          ...actor(p),
          action: "member.removed",
          targetType: "user",
          targetId: userId,
          ip,
          details: { email: before.email, role: before.role },
        });
      });
      changed();
    },

    async invite(p: Principal, input: { email: string; role: Role }, ip: string) {
      const db = deps.db();
      if (!roleWithin(input.role, p.role)) {
        throw forbidden("You cannot invite someone with a role above your own", { code: "role_too_high" });
      }
      const [member] = await db.query(
        `SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND lower(u.email) = lower($2)`,
        [p.orgId, input.email],
      );
      if (member) throw conflict("This person is already a member", { code: "already_member" });
      const token = randomToken("obi_");
      const [inv] = await db.query<InvitationView>(
        `INSERT INTO invitations (org_id, email, role, token_hash, invited_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${INVITATION_COLUMNS}`,
        [
          p.orgId,
          input.email.trim(),
          input.role,
          await sha256Hex(token),
          p.userId,
          new Date(Date.now() + INVITATION_TTL_MS),
        ],
      );
      await audit(db, {
        ...actor(p),
        action: "invitation.created",
        targetType: "invitation",
        targetId: inv.id,
        ip,
        details: { email: inv.email, role: inv.role },
      });
      return { invitation: inv, token };
    },

    async invitations(p: Principal): Promise<InvitationView[]> {
      return (await invitationsPage(p, { limit: 200 })).items;
    },

    async revokeInvitation(p: Principal, id: string, ip: string) {
      const db = deps.db();
      const rows = await db.query(
        `UPDATE invitations SET revoked_at = now()
          WHERE id = $1::uuid AND org_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL RETURNING id`,
        [id, p.orgId],
      );
      if (!rows.length) throw notFound("Invitation");
      await audit(db, { ...actor(p), action: "invitation.revoked", targetType: "invitation", targetId: id, ip });
    },

    async createApiKey(p: Principal, input: { name: string; role?: Role; expires_in_days?: number }, ip: string) {
      // A leaked key must not be able to mint its own successor that outlives its revocation.
      if (p.via === "api_key") {
        throw forbidden("API keys are created by a signed-in user, not by another API key", {
          code: "api_key_cannot_create_keys",
        });
      }
      const role = input.role ?? p.role;
      if (!roleWithin(role, p.role)) {
        throw forbidden(`An API key's role cannot be above your own (${p.role})`, { code: "role_too_high" });
      }
      const key = randomToken(API_KEY_PREFIX);
      const db = deps.db();
      await assertHoldingQuota(db, p.orgId, "api_keys");
      const expires = input.expires_in_days ? new Date(Date.now() + input.expires_in_days * 86_400_000) : null;
      const [row] = await db.query<ApiKeyView>(
        `INSERT INTO api_keys (org_id, user_id, name, prefix, key_hash, role, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${API_KEY_COLUMNS}`,
        [p.orgId, p.userId, input.name.trim(), key.slice(0, 12), await sha256Hex(key), role, expires],
      );
      await audit(db, {
        ...actor(p),
        action: "api_key.created",
        targetType: "api_key",
        targetId: row.id,
        ip,
        details: { name: row.name, role, prefix: row.prefix },
      });
      return { api_key: row, key };
    },

    /** Admins see every key of the organization; others see their own. */
    async apiKeys(p: Principal, opts: { own?: boolean } = {}): Promise<ApiKeyView[]> {
      return (await apiKeysPage(p, { limit: 200 }, opts)).items;
    },

    async revokeApiKey(p: Principal, id: string, ip: string) {
      const db = deps.db();
      const rows = await db.query(
        `UPDATE api_keys SET revoked_at = now()
          WHERE id = $1::uuid AND org_id = $2 AND revoked_at IS NULL AND ($3 OR user_id = $4) RETURNING id`,
        [id, p.orgId, p.role === "admin", p.userId],
      );
      if (!rows.length) throw notFound("API key");
      changed();
      await audit(db, { ...actor(p), action: "api_key.revoked", targetType: "api_key", targetId: id, ip });
    },
  };
}

export type Organization = ReturnType<typeof createOrganization>;

export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  expires_at: Date;
  created_at: Date;
  invited_by: string | null;
}
const INVITATION_COLUMNS = "id, email, role, expires_at, created_at, invited_by";

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  user_id: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
}
const API_KEY_COLUMNS = "id, name, prefix, role, user_id, created_at, last_used_at, expires_at";
