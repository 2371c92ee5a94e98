/** The shapes of notifications, preferences and webhook endpoints at the API's edge. */
import { z } from "zod";
import { text } from "../schemas/text.ts";
import { CHANNELS, EVENT_TYPES } from "./events.ts";

export const notificationSchema = z.object({
  id: z.uuid(),
  type: z.string(),
  level: z.enum(["info", "warning", "critical"]),
  title: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()),
  created_at: z.string(),
  read_at: z.string().nullable(),
}).meta({ id: "Notification" });
export type NotificationView = z.infer<typeof notificationSchema>;

export const markReadInput = z.strictObject({
  /** The notifications to mark read; omitted: all of them. */
  ids: z.array(z.uuid()).min(1).max(500).optional(),
}).meta({ id: "MarkNotificationsRead" });

export const preferencesSchema = z.record(z.enum(EVENT_TYPES), z.array(z.enum(CHANNELS))).meta({
  id: "NotificationPreferences",
});
export const preferencesInput = z.strictObject({
  preferences: z.partialRecord(z.enum(EVENT_TYPES), z.array(z.enum(CHANNELS)).max(CHANNELS.length)),
}).meta({ id: "NotificationPreferencesInput" });
export type PreferencesInput = z.infer<typeof preferencesInput>;

// Checked for SSRF by the action (./ssrf.ts), which says why a URL is refused.
const webhookUrl = z.string().trim().min(1).max(2000);
const eventTypes = z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length)
  .refine((l) => new Set(l).size === l.length, { error: "each event type at most once" });

export const webhookInput = z.strictObject({
  url: webhookUrl,
  event_types: eventTypes,
  description: text({ min: 0, max: 200 }).optional(),
}).meta({ id: "WebhookEndpointInput" });
export type WebhookInput = z.infer<typeof webhookInput>;

export const webhookPatch = z.strictObject({
  url: webhookUrl.optional(),
  event_types: eventTypes.optional(),
  description: text({ min: 0, max: 200 }).optional(),
  /** Re-enabling an endpoint the system disabled starts its failure count over. */
  enabled: z.boolean().optional(),
}).meta({ id: "WebhookEndpointPatch" });
export type WebhookPatch = z.infer<typeof webhookPatch>;

export const webhookSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  description: z.string(),
  event_types: z.array(z.string()),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable(),
  failing_since: z.string().nullable(),
  previous_secret_until: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
}).meta({ id: "WebhookEndpoint" });
export type WebhookView = z.infer<typeof webhookSchema>;

/** Shown once, when made or rotated. */
export const webhookWithSecret = webhookSchema.extend({ secret: z.string() }).meta({ id: "WebhookEndpointSecret" });

export const attemptSchema = z.object({
  id: z.string(),
  message_id: z.string(),
  event_type: z.string(),
  attempt: z.number(),
  status_code: z.number().nullable(),
  duration_ms: z.number(),
  ok: z.boolean(),
  error: z.string().nullable(),
  response_excerpt: z.string().nullable(),
  at: z.string(),
}).meta({ id: "WebhookAttempt" });
export type AttemptView = z.infer<typeof attemptSchema>;
