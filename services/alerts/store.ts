/**
 * Price alerts of an organization (made, listed, changed, removed, each with its audit entry) and their
 * history. A user sees and changes the alerts of their organization; fired alerts notify their owner.
 */
import { z } from "zod";
import type { Database, Queryable } from "../../db/database.ts";
import { isoUtc } from "../../db/sql.ts";
import { audit, callerEntry } from "../auth/audit.ts";
import type { Caller } from "../bids/actions.ts";
import { notFound } from "../errors.ts";
import { decodeCursor, type Page, pageOf, type PageRequest } from "../pagination.ts";
import type { AlertDef } from "./engine.ts";
import type { AlertInput, AlertPatch, AlertView, FiringView } from "./schema.ts";

const COLUMNS = `id, name, zones, market, combine, conditions, hysteresis, cooldown_s, channels, enabled,
  ${isoUtc("last_fired_at")} AS last_fired_at, ${isoUtc("created_at")} AS created_at,
  ${isoUtc("updated_at")} AS updated_at`;

const auditOf = (c: Caller, action: string, id: string, details: Record<string, unknown> = {}) =>
  callerEntry(c, "price_alert", action, id, details);

export async function getAlert(q: Queryable, orgId: string, id: string): Promise<AlertView> {
  const [row] = await q.query<AlertView>(`SELECT ${COLUMNS} FROM price_alerts WHERE org_id = $1 AND id = $2`, [
    orgId,
    id,
  ]);
  if (!row) throw notFound("Alert not found", { code: "not_found" });
  return row;
}

export async function alertsPage(q: Queryable, orgId: string, page: PageRequest): Promise<Page<AlertView>> {
  const after = decodeCursor(page.cursor, [z.string(), z.uuid()]);
  const rows = await q.query<AlertView & { ts: string }>(
    `SELECT ${COLUMNS}, created_at::text AS ts FROM price_alerts
      WHERE org_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid))
      ORDER BY created_at, id LIMIT $4`,
    [orgId, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
  );
  const p = pageOf(rows, page.limit, (r) => [r.ts, r.id]);
  return { ...p, items: p.items.map(({ ts: _ts, ...a }) => a) };
}

export function createAlert(db: Database, c: Caller, input: AlertInput): Promise<AlertView> {
  return db.transaction(async (tx) => {
    const [{ id }] = await tx.query<{ id: string }>(
      `INSERT INTO price_alerts (org_id, user_id, name, zones, market, combine, conditions, hysteresis, channels,
                                 cooldown_s, enabled)
       VALUES ($1, $2, $3, $4::text[], $5, $6, $7::jsonb, $8, $9::text[], $10, $11) RETURNING id`,
      [
        c.principal.orgId,
        c.principal.userId,
        input.name,
        input.zones,
        input.market,
        input.combine,
        JSON.stringify(input.conditions),
        input.hysteresis,
        input.channels,
        input.cooldown_s,
        input.enabled,
      ],
    );
    const after = await getAlert(tx, c.principal.orgId, id);
    await audit(tx, auditOf(c, "price_alert.created", id, { after }));
    return after;
  });
}

export function updateAlert(db: Database, c: Caller, id: string, patch: AlertPatch): Promise<AlertView> {
  return db.transaction(async (tx) => {
    const before = await getAlert(tx, c.principal.orgId, id);
    await tx.query(
      `UPDATE price_alerts SET name = coalesce($3, name), zones = coalesce($4::text[], zones),
              market = coalesce($5, market), combine = coalesce($6, combine),
              conditions = coalesce($7::jsonb, conditions), hysteresis = coalesce($8, hysteresis),
              channels = coalesce($9::text[], channels), cooldown_s = coalesce($10, cooldown_s),
              enabled = coalesce($11, enabled), updated_at = now()
        WHERE org_id = $1 AND id = $2`,
      [
        c.principal.orgId,
        id,
        patch.name ?? null,
        patch.zones ?? null,
        patch.market ?? null,
        patch.combine ?? null,
        patch.conditions ? JSON.stringify(patch.conditions) : null,
        patch.hysteresis ?? null,
        patch.channels ?? null,
        patch.cooldown_s ?? null,
        patch.enabled ?? null,
      ],
    );
    const after = await getAlert(tx, c.principal.orgId, id);
    await audit(tx, auditOf(c, "price_alert.updated", id, { before, after }));
    return after;
  });
}

export function deleteAlert(db: Database, c: Caller, id: string): Promise<void> {
  return db.transaction(async (tx) => {
    const before = await getAlert(tx, c.principal.orgId, id);
    await tx.query(`DELETE FROM price_alerts WHERE org_id = $1 AND id = $2`, [c.principal.orgId, id]);
    await audit(tx, auditOf(c, "price_alert.deleted", id, { name: before.name }));
  });
}

export async function historyPage(
  q: Queryable,
  orgId: string,
  page: PageRequest & { alert_id?: string },
): Promise<Page<FiringView>> {
  const after = decodeCursor(page.cursor, [z.string().regex(/^\d+$/)]);
  const rows = await q.query<FiringView>(
    `SELECT h.id::text AS id, h.alert_id, a.name AS alert_name, h.zone, h.market,
            ${isoUtc("h.interval_start")} AS interval_start, h.price, h.observed, ${isoUtc("h.fired_at")} AS fired_at
       FROM price_alert_history h JOIN price_alerts a ON a.id = h.alert_id
      WHERE h.org_id = $1 AND ($2::uuid IS NULL OR h.alert_id = $2::uuid) AND ($3::bigint IS NULL OR h.id < $3::bigint)
      ORDER BY h.id DESC LIMIT $4`,
    [orgId, page.alert_id ?? null, after?.[0] ?? null, page.limit + 1],
  );
  return pageOf(rows, page.limit, (r) => [r.id]);
}

/** Every enabled alert, as the engine takes them. */
export async function loadAlertDefs(q: Queryable): Promise<AlertDef[]> {
  const rows = await q.query<
    Omit<AlertView, "last_fired_at"> & { org_id: string; user_id: string; last_fired_ms: number | null }
  >(
    `SELECT ${COLUMNS}, org_id, user_id, (extract(epoch FROM last_fired_at) * 1000)::float8 AS last_fired_ms
       FROM price_alerts WHERE enabled`,
  );
  return rows.map((r) => ({
    id: r.id,
    orgId: r.org_id,
    userId: r.user_id,
    name: r.name,
    zones: r.zones,
    market: r.market,
    combine: r.combine,
    conditions: r.conditions,
    hysteresis: Number(r.hysteresis),
    cooldownMs: r.cooldown_s * 1000,
    channels: r.channels as AlertDef["channels"],
    lastFiredAt: r.last_fired_ms,
    version: r.updated_at,
  }));
}

/** A cheap fingerprint of the alerts table: it changes with any insert, update or delete. */
export async function alertsVersion(q: Queryable): Promise<string> {
  const [row] = await q.query<{ v: string }>(
    `SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') AS v FROM price_alerts`,
  );
  return row.v;
}
