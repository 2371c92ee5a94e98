/**
 * What a platform operator changes, one action each: its transaction, its audit entry (in the target
 * organization's log, so its admins see what was done to it; platform-wide flag changes carry no
 * organization), and the follow-up (every instance reloads; a suspension ends sessions at once).
 * Callers (API routes and pages) have already checked that the actor is an operator.
 */
import { z } from "zod";
import type { Database } from "../../db/database.ts";
import { audit } from "../auth/audit.ts";
import type { Principal } from "../auth/principal.ts";
import { notFound } from "../errors.ts";
import { text } from "../schemas/text.ts";
import { QUOTA_KEYS, type QuotaOverrides } from "./quotas.ts";
import type { AdminService } from "./service.ts";
import { endSessions, saveQuotas, setOverride, setSuspended, upsertFlag } from "./store.ts";

export interface OperatorCaller {
  principal: Principal;
  ip?: string | null;
}

export interface AdminDeps {
  db: Database;
  admin: AdminService;
}

export const suspendInput = z.object({ reason: text({ max: 500 }).optional() }).strict();

export async function suspendOrganization(
  deps: AdminDeps,
  c: OperatorCaller,
  orgId: string,
  input: z.infer<typeof suspendInput>,
): Promise<{ suspended: true; sessions_ended: number }> {
  const ended = await deps.db.transaction(async (tx) => {
    const prev = await setSuspended(tx, orgId, input.reason ?? null, true);
    if (!prev) throw notFound("No such organization");
    const n = await endSessions(tx, orgId);
    await audit(tx, {
      orgId,
      actorUserId: c.principal.userId,
      action: "platform.org_suspended",
      targetType: "organization",
      targetId: orgId,
      ip: c.ip,
      details: { reason: input.reason ?? null, sessions_ended: n, operator: c.principal.email },
    });
    return n;
  });
  await deps.admin.changed("orgs");
  return { suspended: true, sessions_ended: ended };
}

export async function reactivateOrganization(
  deps: AdminDeps,
  c: OperatorCaller,
  orgId: string,
): Promise<{ suspended: false }> {
  await deps.db.transaction(async (tx) => {
    const prev = await setSuspended(tx, orgId, null, false);
    if (!prev) throw notFound("No such organization");
    await audit(tx, {
      orgId,
      actorUserId: c.principal.userId,
      action: "platform.org_reactivated",
      targetType: "organization",
      targetId: orgId,
      ip: c.ip,
      details: { operator: c.principal.email },
    });
  });
  await deps.admin.changed("orgs");
  return { suspended: false };
}

const limit = z.number().int().min(1).max(1_000_000_000).nullable();
/** Every quota: a positive whole number, or null for the platform's default. */
export const quotasInput = z.object(
  Object.fromEntries(QUOTA_KEYS.map((k) => [k, limit])) as Record<(typeof QUOTA_KEYS)[number], typeof limit>,
).strict();

export async function setQuotas(
  deps: AdminDeps,
  c: OperatorCaller,
  orgId: string,
  input: QuotaOverrides,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const [org] = await tx.query(`SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE`, [orgId]);
    if (!org) throw notFound("No such organization");
    const before = deps.admin.ownQuotas(orgId);
    await saveQuotas(tx, orgId, input);
    await audit(tx, {
      orgId,
      actorUserId: c.principal.userId,
      action: "platform.quotas_changed",
      targetType: "organization",
      targetId: orgId,
      ip: c.ip,
      details: { before, after: input, operator: c.principal.email },
    });
  });
  await deps.admin.changed("quotas");
}

export const flagKey = z.string().regex(/^[a-z][a-z0-9_]{1,47}$/, "lower-case letters, digits and _ (2-48)");

export const flagInput = z.object({
  description: text({ max: 500 }).optional(),
  enabled: z.boolean(),
  rollout_percent: z.number().int().min(0).max(100).nullable().default(null),
}).strict();

export async function setFlag(
  deps: AdminDeps,
  c: OperatorCaller,
  key: string,
  input: z.infer<typeof flagInput>,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await upsertFlag(tx, key, input);
    await audit(tx, {
      orgId: null,
      actorUserId: c.principal.userId,
      action: "platform.flag_changed",
      targetType: "feature_flag",
      targetId: key,
      ip: c.ip,
      details: { ...input, operator: c.principal.email },
    });
  });
  await deps.admin.changed("flags");
}

export const overrideInput = z.object({ enabled: z.boolean().nullable() }).strict();

/** `enabled: null` removes the organization's override (it gets the default or rollout again). */
export async function setFlagOverride(
  deps: AdminDeps,
  c: OperatorCaller,
  key: string,
  orgId: string,
  enabled: boolean | null,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const [org] = await tx.query(`SELECT 1 FROM organizations WHERE id = $1`, [orgId]);
    if (!org) throw notFound("No such organization");
    if (!(await setOverride(tx, key, orgId, enabled))) throw notFound("No such feature flag");
    await audit(tx, {
      orgId,
      actorUserId: c.principal.userId,
      action: "platform.flag_override",
      targetType: "feature_flag",
      targetId: key,
      ip: c.ip,
      details: { enabled, operator: c.principal.email },
    });
  });
  await deps.admin.changed("flags");
}
