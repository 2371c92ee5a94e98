/** Sites and assets of an organization. Every statement is scoped by org_id: another org's row is not found. */
import { memoReads } from "../memo.ts";
import { isoUtc } from "../../db/sql.ts";
import { conflict, DomainError } from "../errors.ts";
import type { Queryable } from "../../db/database.ts";
import type { AssetView, SiteView } from "./schemas.ts";
import { z } from "zod";
import type { assetInput, siteInput } from "./schemas.ts";
import { decodeCursor, type Page, pageOf, type PageRequest } from "../pagination.ts";

type SiteInput = z.infer<typeof siteInput>;
type AssetInput = z.infer<typeof assetInput>;

const iso = isoUtc;
const SITE_COLUMNS = `s.id, s.name, s.zone, s.node, s.latitude, s.longitude, ${iso("s.created_at")} AS created_at,
  ${iso("s.updated_at")} AS updated_at, (SELECT count(*)::int FROM assets a WHERE a.site_id = s.id) AS asset_count`;
const ASSET_COLUMNS = `a.id, a.site_id, s.name AS site_name, s.zone, s.node, a.name, a.kind,
  a.capacity_mw::float8 AS capacity_mw, a.energy_mwh::float8 AS energy_mwh, a.charge_mw::float8 AS charge_mw,
  a.discharge_mw::float8 AS discharge_mw, a.round_trip_efficiency::float8 AS round_trip_efficiency,
  a.min_soc::float8 AS min_soc, a.max_soc::float8 AS max_soc,
  ${iso("a.created_at")} AS created_at, ${iso("a.updated_at")} AS updated_at`;

export const notFound = (what: string) => new DomainError("not_found", `${what} not found`, { code: "not_found" });

/** Unique names per organization: a clear 409, not a database error. */
function conflictOnDuplicate(e: unknown, what: string): never {
  if ((e as { code?: string })?.code === "23505") {
    throw conflict(`A ${what} with this name exists`, { code: "duplicate_name" });
  }
  throw e;
}

/** Sites by name (then id, so the order is total and a page ends where the next begins). */
export async function sitesPage(q: Queryable, orgId: string, page: PageRequest): Promise<Page<SiteView>> {
  const after = decodeCursor(page.cursor, [z.string(), z.uuid()]);
  const rows = await q.query<SiteView>(
    `SELECT ${SITE_COLUMNS} FROM sites s
      WHERE s.org_id = $1 AND ($2::text IS NULL OR (s.name, s.id) > ($2::text, $3::uuid))
      ORDER BY s.name, s.id LIMIT $4`,
    [orgId, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
  );
  return pageOf(rows, page.limit, (r) => [r.name, r.id]);
}

export async function listSites(q: Queryable, orgId: string) {
  return (await sitesPage(q, orgId, { limit: 1000 })).items;
}

export async function getSite(q: Queryable, orgId: string, id: string) {
  const [row] = await q.query(`SELECT ${SITE_COLUMNS} FROM sites s WHERE s.org_id = $1 AND s.id = $2`, [orgId, id]);
  if (!row) throw notFound("Site");
  return row;
}

export async function createSite(q: Queryable, orgId: string, s: SiteInput) {
  try {
    const [{ id }] = await q.query<{ id: string }>(
      `INSERT INTO sites (org_id, name, zone, node, latitude, longitude) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [orgId, s.name, s.zone, s.node, s.latitude, s.longitude],
    );
    return await getSite(q, orgId, id);
  } catch (e) {
    conflictOnDuplicate(e, "site");
  }
}

export async function updateSite(q: Queryable, orgId: string, id: string, s: Partial<SiteInput>) {
  try {
    const rows = await q.query(
      `UPDATE sites SET name = coalesce($3, name), zone = coalesce($4, zone), node = coalesce($5, node),
              latitude = coalesce($6, latitude), longitude = coalesce($7, longitude), updated_at = now()
        WHERE org_id = $1 AND id = $2 RETURNING id`,
      [orgId, id, s.name ?? null, s.zone ?? null, s.node ?? null, s.latitude ?? null, s.longitude ?? null],
    );
    if (!rows.length) throw notFound("Site");
  } catch (e) {
    conflictOnDuplicate(e, "site");
  }
  return await getSite(q, orgId, id);
}

export async function deleteSite(q: Queryable, orgId: string, id: string) {
  await getSite(q, orgId, id);
  const [used] = await q.query(`SELECT 1 FROM assets WHERE site_id = $1 LIMIT 1`, [id]);
  if (used) throw conflict("The site still has assets; delete or move them first", { code: "site_in_use" });
  await q.query(`DELETE FROM sites WHERE org_id = $1 AND id = $2`, [orgId, id]);
}

/** Assets by name (then id), optionally of one site or kind. */
export async function assetsPage(
  q: Queryable,
  orgId: string,
  filter: { site_id?: string; kind?: string },
  page: PageRequest,
): Promise<Page<AssetView>> {
  const after = decodeCursor(page.cursor, [z.string(), z.uuid()]);
  const rows = await q.query<AssetView>(
    `SELECT ${ASSET_COLUMNS} FROM assets a JOIN sites s ON s.id = a.site_id
      WHERE a.org_id = $1 AND ($2::uuid IS NULL OR a.site_id = $2::uuid) AND ($3::text IS NULL OR a.kind = $3)
        AND ($4::text IS NULL OR (a.name, a.id) > ($4::text, $5::uuid))
      ORDER BY a.name, a.id LIMIT $6`,
    [orgId, filter.site_id ?? null, filter.kind ?? null, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
  );
  return pageOf(rows, page.limit, (r) => [r.name, r.id]);
}

export async function listAssets(q: Queryable, orgId: string, filter: { site_id?: string; kind?: string } = {}) {
  return (await assetsPage(q, orgId, filter, { limit: 1000 })).items;
}

export async function getAsset(q: Queryable, orgId: string, id: string): Promise<AssetView> {
  const [row] = await q.query<AssetView>(
    `SELECT ${ASSET_COLUMNS} FROM assets a JOIN sites s ON s.id = a.site_id WHERE a.org_id = $1 AND a.id = $2`,
    [orgId, id],
  );
  if (!row) throw notFound("Asset");
  return row;
}

/**
 * Assets as bid validation reads them, kept for 2 s: validating a stream of
 * bids should not cost a database round trip per bid. Changes made through this
 * instance empty it at once; another instance's change shows within the TTL
 * (and the bid's foreign key still guards against a deleted asset).
 */
const assetCache = memoReads<AssetView>(2_000);

/** Drops the cached limits of an asset (after a change commits). */
export function forgetAsset(orgId: string, id: string): void {
  assetCache.delete(`${orgId}:${id}`);
}

export function getAssetCached(q: Queryable, orgId: string, id: string): Promise<AssetView> {
  return assetCache.get(`${orgId}:${id}`, () => getAsset(q, orgId, id)).value;
}

/** The writable columns of an asset, in the order `assetValues` gives them. */
const ASSET_FIELDS = [
  "site_id",
  "name",
  "kind",
  "capacity_mw",
  "energy_mwh",
  "charge_mw",
  "discharge_mw",
  "round_trip_efficiency",
  "min_soc",
  "max_soc",
] as const;
const assetValues = (a: AssetInput) => ASSET_FIELDS.map((f) => a[f] ?? null);

export async function createAsset(q: Queryable, orgId: string, a: AssetInput): Promise<AssetView> {
  await getSite(q, orgId, a.site_id); // the site must be this organization's
  try {
    const [{ id }] = await q.query<{ id: string }>(
      `INSERT INTO assets (org_id, ${ASSET_FIELDS.join(", ")})
       VALUES ($1, ${ASSET_FIELDS.map((_, i) => `$${i + 2}`).join(", ")}) RETURNING id`,
      [orgId, ...assetValues(a)],
    );
    return await getAsset(q, orgId, id);
  } catch (e) {
    conflictOnDuplicate(e, "asset");
  }
}

export async function updateAsset(q: Queryable, orgId: string, id: string, a: AssetInput): Promise<AssetView> {
  await getSite(q, orgId, a.site_id); // the site must be this organization's
  try {
    const rows = await q.query(
      `UPDATE assets SET ${ASSET_FIELDS.map((f, i) => `${f} = $${i + 3}`).join(", ")}, updated_at = now()
        WHERE org_id = $1 AND id = $2 RETURNING id`,
      [orgId, id, ...assetValues(a)],
    );
    if (!rows.length) throw notFound("Asset");
  } catch (e) {
    conflictOnDuplicate(e, "asset");
  }
  // After the write: a bid validated meanwhile must not cache the old limits again.
  assetCache.delete(`${orgId}:${id}`);
  return await getAsset(q, orgId, id);
}

export async function deleteAsset(q: Queryable, orgId: string, id: string): Promise<void> {
  await getAsset(q, orgId, id);
  const [used] = await q.query(`SELECT 1 FROM bids WHERE asset_id = $1 LIMIT 1`, [id]);
  if (used) throw conflict("The asset has bids; it cannot be deleted", { code: "asset_in_use" });
  await q.query(`DELETE FROM assets WHERE org_id = $1 AND id = $2`, [orgId, id]);
  assetCache.delete(`${orgId}:${id}`);
}
