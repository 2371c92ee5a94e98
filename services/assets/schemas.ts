/** Sites and assets: what the API accepts and returns. */
import { z } from "zod";
import { ISOS } from "../market/zones.ts";
import { COLUMNS, decimal } from "../schemas/numeric.ts";
import { text } from "../schemas/text.ts";

export const ASSET_KIND_LIST = ["solar", "wind", "storage", "thermal"] as const;

export const siteInput = z.object({
  name: text({ min: 1, max: 120 }),
  zone: z.enum(ISOS),
  node: text({ min: 1, max: 120, minMessage: "name the pricing node or hub" }),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
});
export const siteSchema = siteInput.extend({
  id: z.uuid(),
  created_at: z.string(),
  updated_at: z.string(),
  asset_count: z.number().int(),
}).meta({ id: "Site" });

/** Power and energy: what the columns store (3 decimals), above 0 as their CHECKs want, up to 100 GW(h). */
const mw = (column: keyof typeof COLUMNS) => decimal(COLUMNS[column], { gt: 0, max: 100_000 });
/** State of charge: 4 decimals, so `min_soc < max_soc` is decided on the values stored. */
const fraction = (column: keyof typeof COLUMNS) => decimal(COLUMNS[column], { min: 0, max: 1 });

export const assetInput = z.object({
  site_id: z.uuid(),
  name: text({ min: 1, max: 120 }),
  kind: z.enum(ASSET_KIND_LIST),
  capacity_mw: mw("assets.capacity_mw"),
  energy_mwh: mw("assets.energy_mwh").optional(),
  charge_mw: mw("assets.charge_mw").optional(),
  discharge_mw: mw("assets.discharge_mw").optional(),
  round_trip_efficiency: decimal(COLUMNS["assets.round_trip_efficiency"], { gt: 0, max: 1 }).optional(),
  min_soc: fraction("assets.min_soc").optional(),
  max_soc: fraction("assets.max_soc").optional(),
}).superRefine((a, ctx) => {
  const storage = ["energy_mwh", "charge_mw", "discharge_mw", "round_trip_efficiency", "min_soc", "max_soc"] as const;
  if (a.kind === "storage") {
    for (const f of storage) {
      if (a[f] === undefined) ctx.addIssue({ code: "custom", path: [f], message: `${f} is required for storage` });
    }
    if (a.min_soc !== undefined && a.max_soc !== undefined && a.min_soc >= a.max_soc) {
      ctx.addIssue({ code: "custom", path: ["min_soc"], message: "min_soc must be below max_soc" });
    }
    for (const f of ["charge_mw", "discharge_mw"] as const) {
      if (a[f] !== undefined && a[f]! > a.capacity_mw) {
        ctx.addIssue({ code: "custom", path: [f], message: `${f} cannot exceed capacity_mw` });
      }
    }
  } else {
    for (const f of storage) {
      if (a[f] !== undefined) ctx.addIssue({ code: "custom", path: [f], message: `${f} is only for storage` });
    }
  }
});

export const assetSchema = z.object({
  id: z.uuid(),
  site_id: z.uuid(),
  site_name: z.string(),
  zone: z.enum(ISOS),
  node: z.string(),
  name: z.string(),
  kind: z.enum(ASSET_KIND_LIST),
  capacity_mw: z.number(),
  energy_mwh: z.number().nullable(),
  charge_mw: z.number().nullable(),
  discharge_mw: z.number().nullable(),
  round_trip_efficiency: z.number().nullable(),
  min_soc: z.number().nullable(),
  max_soc: z.number().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
}).meta({ id: "Asset" });
export type AssetView = z.infer<typeof assetSchema>;
export type SiteView = z.infer<typeof siteSchema>;
