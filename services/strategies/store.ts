/** Strategies and their runs in the database, scoped by organization (another's is not found). */
import { z } from "zod";
import type { Queryable } from "../../db/database.ts";
import { isoUtc } from "../../db/sql.ts";
import { conflict, notFound } from "../errors.ts";
import { decodeCursor, type Page, pageOf, type PageRequest } from "../pagination.ts";
import type { StrategyInput, StrategyRunView, StrategyView } from "./schema.ts";

const COLUMNS = `s.id, s.name, s.asset_id, a.name AS asset_name, si.zone, s.kind, s.params, s.lead_minutes, s.submit,
  s.enabled, s.owner_user_id, (SELECT email FROM users WHERE id = s.owner_user_id) AS owner_email, s.version,
  ${isoUtc("s.created_at")} AS created_at, ${isoUtc("s.updated_at")} AS updated_at`;
const FROM = `FROM strategies s JOIN assets a ON a.id = s.asset_id JOIN sites si ON si.id = a.site_id`;

export async function getStrategy(q: Queryable, orgId: string, id: string, opts: { lock?: boolean } = {}) {
  const [row] = await q.query<StrategyView>(
    `SELECT ${COLUMNS} ${FROM} WHERE s.org_id = $1 AND s.id = $2 ${opts.lock ? "FOR UPDATE OF s" : ""}`,
    [orgId, id],
  );
  if (!row) throw notFound("Strategy not found", { code: "not_found" });
  return row;
}

export async function strategiesPage(
  q: Queryable,
  orgId: string,
  page: PageRequest & { asset_id?: string },
): Promise<Page<StrategyView>> {
  const after = decodeCursor(page.cursor, [z.string(), z.uuid()]);
  const rows = await q.query<StrategyView>(
    `SELECT ${COLUMNS} ${FROM}
      WHERE s.org_id = $1 AND ($2::uuid IS NULL OR s.asset_id = $2::uuid)
        AND ($3::text IS NULL OR (s.name, s.id) > ($3::text, $4::uuid))
      ORDER BY s.name, s.id LIMIT $5`,
    [orgId, page.asset_id ?? null, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
  );
  return pageOf(rows, page.limit, (r) => [r.name, r.id]);
}

/** Every enabled strategy of every organization: what the runner looks at each tick. */
export async function enabledStrategies(q: Queryable) {
  return await q.query<{ id: string; org_id: string; zone: string; lead_minutes: number }>(
    `SELECT s.id, s.org_id, si.zone, s.lead_minutes ${FROM} WHERE s.enabled ORDER BY s.id`,
  );
}

const duplicate = (e: unknown, name: string) => {
  if ((e as { code?: string })?.code === "23505") {
    return conflict(`A strategy named "${name}" exists`, { code: "duplicate_name" });
  }
  return e;
};

export async function insertStrategy(q: Queryable, orgId: string, ownerId: string, s: StrategyInput) {
  try {
    const [{ id }] = await q.query<{ id: string }>(
      `INSERT INTO strategies (org_id, asset_id, name, kind, params, lead_minutes, submit, enabled, owner_user_id)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9) RETURNING id`,
      [orgId, s.asset_id, s.name, s.kind, JSON.stringify(s.params), s.lead_minutes, s.submit, s.enabled, ownerId],
    );
    return id;
  } catch (e) {
    throw duplicate(e, s.name);
  }
}

/** The editor becomes the owner: the strategy's bids are made on behalf of whoever last set it up. */
export async function updateStrategy(
  q: Queryable,
  orgId: string,
  id: string,
  ownerId: string,
  version: number,
  s: StrategyInput,
) {
  let rows: { id: string }[];
  try {
    rows = await q.query<{ id: string }>(
      `UPDATE strategies SET asset_id = $4, name = $5, kind = $6, params = $7::jsonb, lead_minutes = $8, submit = $9,
              enabled = $10, owner_user_id = $11, version = version + 1, updated_at = now()
        WHERE org_id = $1 AND id = $2 AND version = $3 RETURNING id`,
      [
        orgId,
        id,
        version,
        s.asset_id,
        s.name,
        s.kind,
        JSON.stringify(s.params),
        s.lead_minutes,
        s.submit,
        s.enabled,
        ownerId,
      ],
    );
  } catch (e) {
    throw duplicate(e, s.name);
  }
  if (!rows.length) {
    const now = await getStrategy(q, orgId, id);
    throw conflict(`The strategy changed since you read it (version ${now.version}, not ${version})`, {
      code: "version_conflict",
      details: { current_version: now.version },
    });
  }
}

export async function removeStrategy(q: Queryable, orgId: string, id: string) {
  await q.query(`DELETE FROM strategies WHERE org_id = $1 AND id = $2`, [orgId, id]);
}

const RUN_COLUMNS = `id, strategy_id, to_char(delivery_date, 'YYYY-MM-DD') AS delivery_date, trigger, outcome,
  bid_ids::text[] AS bid_ids, bid_status, reason, ${isoUtc("at")} AS at`;

export async function runsPage(
  q: Queryable,
  orgId: string,
  strategyId: string,
  page: PageRequest,
): Promise<Page<StrategyRunView>> {
  const after = decodeCursor(page.cursor, [z.iso.datetime({ offset: true }), z.uuid()]);
  const rows = await q.query<StrategyRunView>(
    `SELECT ${RUN_COLUMNS} FROM strategy_runs
      WHERE org_id = $1 AND strategy_id = $2
        AND ($3::timestamptz IS NULL OR (at, id) < ($3::timestamptz, $4::uuid))
      ORDER BY at DESC, id DESC LIMIT $5`,
    [orgId, strategyId, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
  );
  return pageOf(rows, page.limit, (r) => [r.at, r.id]);
}

/** The run that made the day's bids, if one did. */
export async function createdRun(q: Queryable, strategyId: string, date: string) {
  const [row] = await q.query<StrategyRunView>(
    `SELECT ${RUN_COLUMNS} FROM strategy_runs WHERE strategy_id = $1 AND delivery_date = $2 AND outcome = 'created'`,
    [strategyId, date],
  );
  return row ?? null;
}

/** The latest run for the day, whatever it did. */
export async function latestRun(q: Queryable, strategyId: string, date: string) {
  const [row] = await q.query<StrategyRunView>(
    `SELECT ${RUN_COLUMNS} FROM strategy_runs WHERE strategy_id = $1 AND delivery_date = $2 ORDER BY at DESC, id DESC
     LIMIT 1`,
    [strategyId, date],
  );
  return row ?? null;
}

export interface NewRun {
  orgId: string;
  strategyId: string;
  date: string;
  trigger: "schedule" | "manual";
  outcome: "created" | "nothing";
  bidIds?: string[];
  bidStatus?: string | null;
  reason?: string | null;
  actorUserId?: string | null;
}

export async function insertRun(q: Queryable, r: NewRun): Promise<StrategyRunView> {
  const [row] = await q.query<StrategyRunView>(
    `INSERT INTO strategy_runs (org_id, strategy_id, delivery_date, trigger, outcome, bid_ids, bid_status, reason,
                                actor_user_id)
     VALUES ($1, $2, $3, $4, $5, $6::uuid[], $7, $8, $9) RETURNING ${RUN_COLUMNS}`,
    [
      r.orgId,
      r.strategyId,
      r.date,
      r.trigger,
      r.outcome,
      r.bidIds ?? [],
      r.bidStatus ?? null,
      r.reason ?? null,
      r.actorUserId ?? null,
    ],
  );
  return row;
}
