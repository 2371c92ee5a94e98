/** The auth API's request and response shapes: the routes validate with them and the OpenAPI document shows them. */
import { z } from "zod";
import { ISOS } from "../market/zones.ts";
import { PASSWORD_MAX } from "./password_policy.ts";
import { PERMISSIONS, ROLES } from "./rbac.ts";
import { text } from "../schemas/text.ts";

export const roleSchema = z.enum(ROLES);
export const emailSchema = z.email().max(254);
/** Length and strength are judged by the password policy, which gives the reason; this only bounds the input. */
export const passwordInput = z.string().min(1, "is required").max(PASSWORD_MAX);
/** A person's display name. */
export const personName = text({ min: 1, max: 120 });
/** An organization's name: 2–120 characters, as the table's CHECK says. */
export const organizationName = text({ min: 2, max: 120 });
export const apiKeyName = text({ min: 1, max: 80 });
/** Free-form organization settings (jsonb): short keys, text, numbers or booleans. */
export const organizationSettings = z.record(
  text({ min: 1, max: 64 }),
  z.union([text({ max: 500 }), z.number(), z.boolean()]),
);
export const uuidParam = z.object({ id: z.uuid({ message: "must be a UUID" }) });
const timestamp = z.iso.datetime({ offset: true });

export const tokenPairSchema = z.object({
  access_token: z.string(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int(),
  refresh_token: z.string(),
  refresh_expires_at: timestamp,
  user: z.object({ id: z.uuid(), email: z.string(), name: z.string() }),
  organization: z.object({ id: z.uuid(), name: z.string() }),
  role: roleSchema,
}).meta({ id: "TokenPair" });

export const preferencesSchema = z.object({
  time_zone: z.string().max(64).refine((tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "must be an IANA time zone such as America/New_York").optional(),
  default_zone: z.enum(ISOS).optional(),
  units: z.object({
    energy: z.enum(["MWh", "kWh"]).optional(),
    price: z.enum(["$/MWh", "¢/kWh"]).optional(),
  }).strict().optional(),
  notifications: z.object({
    bid_cleared: z.boolean().optional(),
    price_alerts: z.boolean().optional(),
    daily_summary: z.boolean().optional(),
    channel: z.enum(["email", "in_app", "none"]).optional(),
  }).strict().optional(),
}).strict().meta({ id: "Preferences" });
export type Preferences = z.infer<typeof preferencesSchema>;

export const meSchema = z.object({
  user: z.object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    mfa_enabled: z.boolean(),
    preferences: preferencesSchema,
  }),
  organization: z.object({ id: z.uuid(), name: z.string() }),
  role: roleSchema,
  permissions: z.array(z.enum(PERMISSIONS)),
  authenticated_by: z.enum(["bearer", "cookie", "api_key"]),
}).meta({ id: "Me" });

export const memberSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  status: z.enum(["active", "disabled"]),
  mfa_enabled: z.boolean(),
  approver: z.boolean().describe("May approve others' bids (admins may anyway)"),
  joined_at: timestamp,
}).meta({ id: "Member" });

export const organizationSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  settings: z.record(z.string(), z.unknown()),
  created_at: timestamp,
  member_count: z.number().int(),
}).meta({ id: "Organization" });

export const invitationSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: roleSchema,
  expires_at: timestamp,
  created_at: timestamp,
  invited_by: z.uuid().nullable(),
}).meta({ id: "Invitation" });

export const apiKeySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  role: roleSchema,
  user_id: z.uuid(),
  created_at: timestamp,
  last_used_at: timestamp.nullable(),
  expires_at: timestamp.nullable(),
}).meta({ id: "ApiKey" });

export const auditEntrySchema = z.object({
  id: z.string(),
  action: z.string(),
  actor_user_id: z.uuid().nullable(),
  actor_email: z.string().nullable(),
  actor_api_key_id: z.uuid().nullable(),
  target_type: z.string().nullable(),
  target_id: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  created_at: timestamp,
}).meta({ id: "AuditEntry" });

/** Rows carry Dates; API bodies carry ISO strings. */
export function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}
