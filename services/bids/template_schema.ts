/**
 * A day template's shape: a name, the kind of asset it fits, and per hour-ending label a side and a curve.
 * Browser-safe (zod and the bid schema only): the day grid builds and reads templates with it.
 */
import { z } from "zod";
import { text } from "../schemas/text.ts";
import { ASSET_KINDS, BID_SIDES, MAX_SEGMENTS, segmentSchema } from "./schema.ts";

/** "HE1"…"HE24", "HE2*" (the repeated autumn hour). */
export const heLabel = z.string().regex(/^HE([1-9]|1\d|2[0-4])\*?$/, {
  error: "must be an hour-ending label, HE1–HE24 (HE2* for the repeated autumn hour)",
});

export const templateHour = z.strictObject({
  label: heLabel,
  side: z.enum(BID_SIDES),
  segments: z.array(segmentSchema).min(1).max(MAX_SEGMENTS),
});

export const templateInput = z.strictObject({
  name: text({ min: 1, max: 100 }),
  asset_kind: z.enum(ASSET_KINDS),
  hours: z.array(templateHour).min(1).max(25)
    .refine((hs) => new Set(hs.map((h) => h.label)).size === hs.length, { error: "each hour at most once" }),
}).meta({ id: "DayTemplateInput" });
export type TemplateInput = z.infer<typeof templateInput>;

export const templateSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  asset_kind: z.enum(ASSET_KINDS),
  hours: z.array(templateHour),
  created_at: z.string(),
  updated_at: z.string(),
}).meta({ id: "DayTemplate" });
export type TemplateView = z.infer<typeof templateSchema>;
