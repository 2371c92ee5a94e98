/**
 * A user's own account data: name and preferences (time zone, default zone,
 * units, notifications). Every function is keyed by the caller's own user id;
 * the routes (/api/auth/me, /profile, /settings, /market) call these instead
 * of querying `users` themselves.
 *
 * Reads are cached (principal_cache.ts): a page or /api/auth/me costs no query for the caller's own
 * profile when nothing changed. Every write here calls `changed`, which empties this cache (and the
 * principals') here and on the other instances; a write elsewhere that touches what is cached (an admin
 * renaming a member, MFA on or off, an organization renamed) goes through the same `changed`.
 */
import type { Database } from "../../db/database.ts";
import type { Principal } from "./principal.ts";
import { type Preferences, preferencesSchema } from "./schemas.ts";
import { EpochCache } from "./principal_cache.ts";

export interface Me {
  user: { id: string; email: string; name: string; mfa_enabled: boolean; preferences: Preferences };
  organization: { id: string; name: string };
}

interface UserRow {
  email: string;
  name: string;
  mfa_enabled: boolean;
  preferences: Preferences;
}

export function createProfile(deps: { db: () => Database; changed?: () => void }) {
  const users = new EpochCache<UserRow>();
  const orgs = new EpochCache<string>();
  const changed = () => {
    forget();
    deps.changed?.();
  };
  const forget = () => {
    users.bump();
    orgs.bump();
  };
  // Frozen: one object is handed to every request of the user, and none may change it for the others.
  const freeze = (row: UserRow): UserRow =>
    Object.freeze({ ...row, preferences: Object.freeze({ ...(row.preferences ?? {}) }) });

  /** The user's row, or undefined for a user that does not exist (not cached: nothing to keep). */
  function user(userId: string): Promise<UserRow | undefined> {
    return users.through<UserRow | undefined>(userId, async () => {
      const [row] = await deps.db().query<UserRow>(
        `SELECT email, name, mfa_enabled, preferences FROM users WHERE id = $1`,
        [userId],
      );
      const value = row ? freeze(row) : undefined;
      return { result: value, value };
    }, (row) => row);
  }

  function orgName(orgId: string): Promise<string | undefined> {
    return orgs.through<string | undefined>(orgId, async () => {
      const [row] = await deps.db().query<{ name: string }>(`SELECT name FROM organizations WHERE id = $1`, [orgId]);
      return { result: row?.name, value: row?.name };
    }, (name) => name);
  }

  async function preferences(userId: string): Promise<Preferences> {
    return (await user(userId))?.preferences ?? {};
  }

  return {
    async me(p: Pick<Principal, "userId" | "orgId">): Promise<Me> {
      const [row, org] = await Promise.all([user(p.userId), orgName(p.orgId)]);
      if (!row || org === undefined) throw new Error(`no user ${p.userId} in organization ${p.orgId}`);
      return {
        user: {
          id: p.userId,
          email: row.email,
          name: row.name,
          mfa_enabled: row.mfa_enabled,
          preferences: row.preferences,
        },
        organization: { id: p.orgId, name: org },
      };
    },

    /** Something cached here may be stale (another instance's change): forget it, without signalling. */
    forget,

    /**
     * Name replaced when given; preferences merged into the stored ones (a partial update keeps the rest).
     * Returns the preferences as stored now.
     */
    async update(userId: string, change: { name?: string; preferences?: Preferences }): Promise<Preferences> {
      const [row] = await deps.db().query<{ preferences: Preferences }>(
        `UPDATE users SET name = coalesce($2, name), preferences = preferences || coalesce($3::jsonb, '{}'::jsonb),
                updated_at = now() WHERE id = $1 RETURNING preferences`,
        [userId, change.name ?? null, change.preferences ? JSON.stringify(change.preferences) : null],
      );
      changed();
      return row?.preferences ?? {};
    },

    preferences,

    /**
     * Takes the browser's time zone (sent by the login and register forms) as the user's, only when they have
     * none yet: a zone chosen in /settings is never overwritten. Anything /settings would refuse is ignored
     * rather than refused, since it must not stop a login. Returns whether it was saved.
     */
    async adoptTimeZone(userId: string, zone: unknown): Promise<boolean> {
      const tz = preferencesSchema.shape.time_zone.safeParse(zone);
      if (!tz.success || !tz.data) return false;
      // One statement, so a concurrent /settings save cannot be overwritten between a read and a write.
      const rows = await deps.db().query<{ id: string }>(
        `UPDATE users SET preferences = coalesce(preferences, '{}'::jsonb) || jsonb_build_object('time_zone', $2::text),
                updated_at = now()
          WHERE id = $1 AND NOT coalesce(preferences ? 'time_zone', false) RETURNING id`,
        [userId, tz.data],
      );
      if (rows.length) changed();
      return rows.length > 0;
    },

    /** The market zone /market opens, when the user chose one. */
    async defaultZone(userId: string): Promise<string | null> {
      return (await preferences(userId)).default_zone ?? null;
    },
  };
}

export type Profile = ReturnType<typeof createProfile>;
