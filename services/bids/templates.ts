/**
 * Day templates: save a day's curves under a name, list them, read one, delete one. Each change in one
 * transaction with its audit entry (`day_template.created|deleted`), scoped by the caller's organization
 * (another organization's template is not found). Applying a template is the day grid's job: it fills the
 * grid's hours by hour-ending label, and the bids it makes go through the batch action like any others.
 */
import { z } from "zod";
import type { Database, Queryable } from "../../db/database.ts";
import { isoUtc } from "../../db/sql.ts";
import { audit, callerEntry } from "../auth/audit.ts";
import { conflict, notFound } from "../errors.ts";
import { decodeCursor, type Page, pageOf, type PageRequest } from "../pagination.ts";
import type { Caller } from "./actions.ts";
import type { TemplateInput, TemplateView } from "./template_schema.ts";

const COLUMNS = `id, name, asset_kind, hours, ${isoUtc("created_at")} AS created_at,
  ${isoUtc("updated_at")} AS updated_at`;

export async function templatesPage(
  q: Queryable,
  orgId: string,
  page: PageRequest & { asset_kind?: string },
): Promise<Page<TemplateView>> {
  const after = decodeCursor(page.cursor, [z.string(), z.uuid()]);
  const rows = await q.query<TemplateView>(
    `SELECT ${COLUMNS} FROM day_templates
      WHERE org_id = $1 AND ($2::text IS NULL OR asset_kind = $2)
        AND ($3::text IS NULL OR (name, id) > ($3::text, $4::uuid))
      ORDER BY name, id LIMIT $5`,
    [orgId, page.asset_kind ?? null, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
  );
  return pageOf(rows, page.limit, (r) => [r.name, r.id]);
}

export async function getTemplate(q: Queryable, orgId: string, id: string): Promise<TemplateView> {
  const [row] = await q.query<TemplateView>(`SELECT ${COLUMNS} FROM day_templates WHERE org_id = $1 AND id = $2`, [
    orgId,
    id,
  ]);
  if (!row) throw notFound("Template not found", { code: "not_found" });
  return row;
}

const auditOf = (c: Caller, action: string, id: string, details: Record<string, unknown>) =>
  callerEntry(c, "day_template", action, id, details);

/** Saves a template; a name the organization already uses is a 409 `duplicate_name`. */
export function createTemplate(db: Database, c: Caller, input: TemplateInput): Promise<TemplateView> {
  return db.transaction(async (tx) => {
    let id: string;
    try {
      [{ id }] = await tx.query<{ id: string }>(
        `INSERT INTO day_templates (org_id, name, asset_kind, hours, created_by) VALUES ($1, $2, $3, $4::jsonb, $5)
         RETURNING id`,
        [c.principal.orgId, input.name, input.asset_kind, JSON.stringify(input.hours), c.principal.userId],
      );
    } catch (e) {
      if ((e as { code?: string })?.code === "23505") {
        throw conflict(`A template named "${input.name}" exists`, { code: "duplicate_name" });
      }
      throw e;
    }
    const after = await getTemplate(tx, c.principal.orgId, id);
    await audit(tx, auditOf(c, "day_template.created", id, { name: after.name, asset_kind: after.asset_kind }));
    return after;
  });
}

export function deleteTemplate(db: Database, c: Caller, id: string): Promise<void> {
  return db.transaction(async (tx) => {
    const before = await getTemplate(tx, c.principal.orgId, id);
    await tx.query(`DELETE FROM day_templates WHERE org_id = $1 AND id = $2`, [c.principal.orgId, id]);
    await audit(tx, auditOf(c, "day_template.deleted", id, { before }));
  });
}
