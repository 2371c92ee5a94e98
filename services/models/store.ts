/** The model registry's SQL (db/migrations/008_forecasts_models.sql: models). */
import { z } from "zod";
import type { Queryable } from "../../db/database.ts";
import { decodeCursor, type Page, pageOf } from "../pagination.ts";
import type { ModelListQuery, ModelStage, ModelView } from "./schema.ts";

interface ModelRow {
  id: string;
  name: string;
  version: number;
  stage: ModelStage;
  params: Record<string, unknown>;
  training_window: Record<string, unknown>;
  metrics: Record<string, unknown>;
  created_by: string | null;
  created_by_name: string | null;
  created_at: Date;
  stage_changed_at: Date;
}

const COLUMNS = `m.id, m.name, m.version, m.stage, m.params, m.training_window, m.metrics, m.created_by,
  u.name AS created_by_name, m.created_at, m.stage_changed_at`;
const FROM = `models m LEFT JOIN users u ON u.id = m.created_by`;

function view(r: ModelRow): ModelView {
  return {
    ...r,
    version: Number(r.version),
    created_at: new Date(r.created_at).toISOString(),
    stage_changed_at: new Date(r.stage_changed_at).toISOString(),
  };
}

/** Serialises version numbering and stage changes of one model name (released at commit). */
export async function lockName(q: Queryable, name: string): Promise<void> {
  await q.query(`SELECT pg_advisory_xact_lock(hashtext('optibid.models'), hashtext($1))`, [name]);
}

export async function insertVersion(
  q: Queryable,
  m: {
    name: string;
    params: unknown;
    trainingWindow: unknown;
    metrics: unknown;
    createdBy: string | null;
  },
): Promise<ModelView> {
  const [row] = await q.query<{ id: string }>(
    `INSERT INTO models (name, version, params, training_window, metrics, created_by)
     SELECT $1, COALESCE(max(version), 0) + 1, $2::jsonb, $3::jsonb, $4::jsonb, $5 FROM models WHERE name = $1
     RETURNING id`,
    [m.name, JSON.stringify(m.params), JSON.stringify(m.trainingWindow), JSON.stringify(m.metrics), m.createdBy],
  );
  return (await getModel(q, row.id))!;
}

export async function getModel(q: Queryable, id: string): Promise<ModelView | null> {
  const [row] = await q.query<ModelRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE m.id = $1::uuid`, [id]);
  return row ? view(row) : null;
}

export async function productionOf(q: Queryable, name: string): Promise<ModelView | null> {
  const [row] = await q.query<ModelRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE m.name = $1 AND m.stage = 'production'`,
    [name],
  );
  return row ? view(row) : null;
}

/** The version that was production last before now: the archived one whose stage changed latest. */
export async function lastArchived(q: Queryable, name: string): Promise<ModelView | null> {
  const [row] = await q.query<ModelRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE m.name = $1 AND m.stage = 'archived'
      ORDER BY m.stage_changed_at DESC, m.version DESC LIMIT 1`,
    [name],
  );
  return row ? view(row) : null;
}

export async function setStage(q: Queryable, id: string, stage: ModelStage): Promise<void> {
  await q.query(`UPDATE models SET stage = $2, stage_changed_at = now() WHERE id = $1::uuid`, [id, stage]);
}

const cursorShape = [z.string(), z.number().int()] as const;

/** By name, then newest version first. */
export async function listModels(q: Queryable, f: ModelListQuery): Promise<Page<ModelView>> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...v: unknown[]) => {
    let s = sql;
    for (const x of v) {
      params.push(x);
      s = s.replace("?", `$${params.length}`);
    }
    where.push(s);
  };
  if (f.name) add("m.name = ?", f.name);
  if (f.stage) add("m.stage = ?", f.stage);
  const after = decodeCursor(f.cursor, cursorShape);
  if (after) add("(m.name > ? OR (m.name = ? AND m.version < ?))", after[0], after[0], after[1]);
  params.push(f.limit + 1);
  const rows = await q.query<ModelRow>(
    `SELECT ${COLUMNS} FROM ${FROM} ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY m.name, m.version DESC LIMIT $${params.length}`,
    params,
  );
  return pageOf(rows.map(view), f.limit, (m) => [m.name, m.version]);
}
