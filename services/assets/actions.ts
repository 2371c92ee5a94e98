/**
 * What a user does to sites, assets and meter readings, each in one transaction with its audit entry: the
 * change and the record of who made it commit together or not at all. The API routes and the page forms
 * both call these; the store functions (store.ts, meter_store.ts) stay the queries.
 *
 * Audit actions: `site.created|updated|deleted`, `asset.created|updated|deleted` with the row before and/or
 * after in `details`, and `meter_readings.written|deleted` with the range and counts (not every value:
 * a write may carry thousands of readings, which the asset's readings themselves keep).
 */
import { assertHoldingQuota } from "../admin/holdings.ts";
import type { z } from "zod";
import type { Database, Queryable } from "../../db/database.ts";
import { audit } from "../auth/audit.ts";
import type { Principal } from "../auth/principal.ts";
import type { ReadingInput } from "./meter_schemas.ts";
import * as meter from "./meter_store.ts";
import type { assetInput, siteInput } from "./schemas.ts";
import * as store from "./store.ts";

type SiteInput = z.infer<typeof siteInput>;
type AssetInput = z.infer<typeof assetInput>;

/** Who acts, and from where (the client address, for the audit log). */
export interface Actor {
  principal: Pick<Principal, "orgId" | "userId" | "apiKeyId">;
  ip?: string | null;
}

function record(
  q: Queryable,
  a: Actor,
  action: string,
  target: { type: string; id: string },
  details: Record<string, unknown>,
) {
  return audit(q, {
    orgId: a.principal.orgId,
    actorUserId: a.principal.userId,
    actorApiKeyId: a.principal.apiKeyId ?? null,
    action,
    targetType: target.type,
    targetId: target.id,
    ip: a.ip ?? null,
    details,
  });
}

/**
 * Locks the row first, so the "before" recorded is the one this change replaces (not a concurrent one's).
 * An update takes the lock its UPDATE would (NO KEY: a new bid's foreign key on the asset does not wait).
 */
async function lockRow(q: Queryable, table: "sites" | "assets", orgId: string, id: string, mode: "update" | "delete") {
  const lock = mode === "delete" ? "FOR UPDATE" : "FOR NO KEY UPDATE";
  await q.query(`SELECT 1 FROM ${table} WHERE org_id = $1 AND id = $2 ${lock}`, [orgId, id]);
}

export function createSite(db: Database, a: Actor, input: SiteInput) {
  return db.transaction(async (tx) => {
    const after = await store.createSite(tx, a.principal.orgId, input);
    await record(tx, a, "site.created", { type: "site", id: String(after.id) }, { after });
    return after;
  });
}

export function updateSite(db: Database, a: Actor, id: string, input: Partial<SiteInput>) {
  return db.transaction(async (tx) => {
    await lockRow(tx, "sites", a.principal.orgId, id, "update");
    const before = await store.getSite(tx, a.principal.orgId, id);
    const after = await store.updateSite(tx, a.principal.orgId, id, input);
    await record(tx, a, "site.updated", { type: "site", id }, { before, after });
    return after;
  });
}

export function deleteSite(db: Database, a: Actor, id: string): Promise<void> {
  return db.transaction(async (tx) => {
    await lockRow(tx, "sites", a.principal.orgId, id, "delete");
    const before = await store.getSite(tx, a.principal.orgId, id);
    await store.deleteSite(tx, a.principal.orgId, id);
    await record(tx, a, "site.deleted", { type: "site", id }, { before });
  });
}

export function createAsset(db: Database, a: Actor, input: AssetInput) {
  return db.transaction(async (tx) => {
    await assertHoldingQuota(tx, a.principal.orgId, "assets");
    const after = await store.createAsset(tx, a.principal.orgId, input);
    await record(tx, a, "asset.created", { type: "asset", id: after.id }, { after });
    return after;
  });
}

export async function updateAsset(db: Database, a: Actor, id: string, input: AssetInput) {
  const after = await db.transaction(async (tx) => {
    await lockRow(tx, "assets", a.principal.orgId, id, "update");
    const before = await store.getAsset(tx, a.principal.orgId, id);
    const after = await store.updateAsset(tx, a.principal.orgId, id, input);
    await record(tx, a, "asset.updated", { type: "asset", id }, { before, after });
    return after;
  });
  // Again after the commit: a bid validated while the transaction was open may have cached the old limits.
  store.forgetAsset(a.principal.orgId, id);
  return after;
}

export async function deleteAsset(db: Database, a: Actor, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    await lockRow(tx, "assets", a.principal.orgId, id, "delete");
    const before = await store.getAsset(tx, a.principal.orgId, id);
    await store.deleteAsset(tx, a.principal.orgId, id);
    await record(tx, a, "asset.deleted", { type: "asset", id }, { before });
  });
  store.forgetAsset(a.principal.orgId, id);
}

export function writeReadings(
  db: Database,
  a: Actor & { principal: Principal },
  assetId: string,
  readings: readonly ReadingInput[],
) {
  return db.transaction(async (tx) => {
    const written = await meter.writeReadings(tx, a.principal, assetId, readings);
    const starts = readings.map((r) => Date.parse(r.interval_start));
    const ends = readings.map((r) => Date.parse(r.interval_end));
    await record(tx, a, "meter_readings.written", { type: "asset", id: assetId }, {
      from: new Date(Math.min(...starts)).toISOString(),
      to: new Date(Math.max(...ends)).toISOString(),
      count: readings.length,
      created: written.created,
      corrected: written.corrected,
    });
    return written;
  });
}

export function deleteReadings(db: Database, a: Actor, assetId: string, range: { from: string; to: string }) {
  return db.transaction(async (tx) => {
    const result = await meter.deleteReadings(tx, a.principal.orgId, assetId, range);
    await record(tx, a, "meter_readings.deleted", { type: "asset", id: assetId }, { ...range, ...result });
    return result;
  });
}
