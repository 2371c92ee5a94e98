/**
 * The model version a live job runs: the `production` version of a name. A fresh installation has no
 * versions yet, so the first call creates version 1 from the job's defaults (stage production, made by no
 * user); from then on the registry (promote, rollback) decides which version is production.
 */
import type { Queryable } from "../../db/database.ts";
import { DomainError } from "../errors.ts";

export interface ProductionModel {
  id: string;
  name: string;
  version: number;
  params: Record<string, unknown>;
}

async function current(q: Queryable, name: string): Promise<ProductionModel | undefined> {
  const [row] = await q.query<ProductionModel>(
    `SELECT id::text AS id, name, version, params FROM models WHERE name = $1 AND stage = 'production'`,
    [name],
  );
  return row;
}

export async function productionModel(
  q: Queryable,
  name: string,
  defaults: Record<string, unknown>,
): Promise<ProductionModel> {
  const found = await current(q, name);
  if (found) return found;
  // Two instances may both get here: the unique (name, version) and one-production indexes let one insert
  // win and the other do nothing, and both then read the winner.
  await q.query(
    `INSERT INTO models (name, version, params, stage, created_by)
     SELECT $1, 1, $2::jsonb, 'production', NULL WHERE NOT EXISTS (SELECT 1 FROM models WHERE name = $1)
     ON CONFLICT DO NOTHING`,
    [name, JSON.stringify(defaults)],
  );
  const made = await current(q, name);
  if (made) return made;
  throw new DomainError("conflict", `model ${name} has versions but none in production`, {
    code: "no_production_model",
  });
}
