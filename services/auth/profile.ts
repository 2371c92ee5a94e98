/**
 * A user's own account data: name and preferences (time zone, default zone,
 * units, notifications). Every function is keyed by the caller's own user id;
 * the routes (/api/auth/me, /profile, /settings, /market) call these instead
 * of querying `users` themselves.
 */
import type { Database } from "../../db/database.ts";
import type { Principal } from "./principal.ts";
import { type Preferences, preferencesSchema } from "./schemas.ts";

export interface Me {
  user: { id: string; email: string; name: string; mfa_enabled: boolean; preferences: Preferences };
  organization: { id: string; name: string };
}

export function createProfile(deps: { db: () => Database }) {
  async function preferences(userId: string): Promise<Preferences> {
    const [row] = await deps.db().query<{ preferences: Preferences }>(
      `SELECT preferences FROM users WHERE id = $1`,
      [userId],
    );
    return row?.preferences ?? {};
  }

  return {
    async me(p: Pick<Principal, "userId" | "orgId">): Promise<Me> {
      const [row] = await deps.db().query<
        { email: string; name: string; mfa_enabled: boolean; preferences: Preferences; org: string }
      >(
        `SELECT u.email, u.name, u.mfa_enabled, u.preferences, o.name AS org
           FROM users u, organizations o WHERE u.id = $1 AND o.id = $2`,
        [p.userId, p.orgId],
      );
      return {
        user: {
          id: p.userId,
          email: row.email,
          name: row.name,
          mfa_enabled: row.mfa_enabled,
          preferences: row.preferences,
        },
        organization: { id: p.orgId, name: row.org },
      };
    },

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
      return rows.length > 0;
    },

    /** The market zone /market opens, when the user chose one. */
    async defaultZone(userId: string): Promise<string | null> {
      return (await preferences(userId)).default_zone ?? null;
    },
  };
}

export type Profile = ReturnType<typeof createProfile>;
