/** A price alert's shape at the API's edge. Browser-safe (zod only). */
import { z } from "zod";
import { MARKETS } from "../market/types.ts";
import { ISOS } from "../market/zones.ts";
import { text } from "../schemas/text.ts";

const money = z.number().finite().min(-100_000).max(100_000);

export const conditionSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("price_above"), level: money }),
  z.strictObject({ kind: z.literal("price_below"), level: money }),
  /** Day-ahead minus real-time price of the same hour. */
  z.strictObject({ kind: z.literal("spread_above"), level: money }),
  /** Robust z-score ((price − median) / (1.4826 · MAD)) against the zone's hour-of-week baseline. */
  z.strictObject({ kind: z.literal("spike"), k: z.number().finite().min(0.5).max(50) }),
  /** |price − the live forecast's median for that hour| above `amount` $/MWh. */
  z.strictObject({ kind: z.literal("forecast_miss"), amount: z.number().finite().min(0).max(100_000) }),
]).meta({ id: "AlertCondition" });
export type Condition = z.infer<typeof conditionSchema>;

export const ALERT_CHANNELS = ["toast", "notification", "email", "webhook"] as const;
export type AlertChannel = typeof ALERT_CHANNELS[number];

const unique = <T>(l: T[]) => new Set(l).size === l.length;

export const alertInput = z.strictObject({
  name: text({ min: 1, max: 100 }),
  zones: z.array(z.enum(ISOS)).min(1).max(ISOS.length).refine(unique, { error: "each zone at most once" }),
  market: z.enum(MARKETS),
  combine: z.enum(["all", "any"]).default("any"),
  conditions: z.array(conditionSchema).min(1).max(5),
  /**
   * How far back past its threshold a value must go before the condition can fire again ($/MWh, or
   * z-score units for a spike): a price hovering at the threshold fires once.
   */
  hysteresis: z.number().finite().min(0).max(10_000).default(1),
  cooldown_s: z.number().int().min(0).max(7 * 86_400).default(900),
  channels: z.array(z.enum(ALERT_CHANNELS)).min(1).max(ALERT_CHANNELS.length).refine(unique, {
    error: "each channel at most once",
  }),
  enabled: z.boolean().default(true),
}).meta({ id: "PriceAlertInput" });
export type AlertInput = z.infer<typeof alertInput>;

export const alertPatch = alertInput.partial().meta({ id: "PriceAlertPatch" });
export type AlertPatch = z.infer<typeof alertPatch>;

export const alertSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  zones: z.array(z.string()),
  market: z.enum(MARKETS),
  combine: z.enum(["all", "any"]),
  conditions: z.array(conditionSchema),
  hysteresis: z.number(),
  cooldown_s: z.number(),
  channels: z.array(z.string()),
  enabled: z.boolean(),
  last_fired_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
}).meta({ id: "PriceAlert" });
export type AlertView = z.infer<typeof alertSchema>;

export const firingSchema = z.object({
  id: z.string(),
  alert_id: z.uuid(),
  alert_name: z.string(),
  zone: z.string(),
  market: z.string(),
  interval_start: z.string(),
  price: z.number(),
  observed: z.record(z.string(), z.unknown()),
  fired_at: z.string(),
}).meta({ id: "PriceAlertFiring" });
export type FiringView = z.infer<typeof firingSchema>;
