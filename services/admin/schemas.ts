/** The admin API's response shapes (the OpenAPI document reads them). */
import { z } from "zod";
import { QUOTA_KEYS } from "./quotas.ts";

const timestamp = z.string();
const count = z.number().int().min(0);

export const quotasSchema = z.object(Object.fromEntries(QUOTA_KEYS.map((k) => [k, z.number().int()])) as Record<
  (typeof QUOTA_KEYS)[number],
  z.ZodNumber
>).meta({ id: "Quotas" });
export const ownQuotasSchema = z.object(
  Object.fromEntries(QUOTA_KEYS.map((k) => [k, z.number().int().nullable()])) as Record<
    (typeof QUOTA_KEYS)[number],
    z.ZodNullable<z.ZodNumber>
  >,
);

export const orgSummarySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  created_at: timestamp,
  status: z.enum(["active", "suspended"]),
  suspended_at: timestamp.nullable(),
  suspended_reason: z.string().nullable(),
  members: count,
  api_requests_today: count,
  bids_today: count,
}).meta({ id: "OrganizationSummary" });

export const usageDaySchema = z.object({
  day: z.string(),
  api_requests: count,
  bids: count,
  ws_connections: count,
  rejected: count,
}).meta({ id: "UsageDay" });

export const flagSchema = z.object({
  key: z.string(),
  description: z.string(),
  /** For the caller's organization (or the one asked about). */
  enabled: z.boolean(),
  source: z.enum(["override", "rollout", "default"]),
  /** The platform operator also sees how the flag is set. */
  default: z.boolean().optional(),
  rollout_percent: z.number().int().nullable().optional(),
  overrides: z.array(z.object({ org_id: z.uuid(), enabled: z.boolean() })).optional(),
}).meta({ id: "FeatureFlag" });

export const billingSchema = z.object({
  organization_id: z.uuid(),
  month: z.string(),
  from: z.string(),
  to: z.string(),
  api_requests: count,
  bids: count,
  ws_connections: count,
  rejected: count,
  peak_day: z.object({ day: z.string(), api_requests: count }).nullable(),
  holdings: z.object({ assets: count, api_keys: count, members: count }),
  quotas: quotasSchema,
}).meta({ id: "BillingOverview" });

/** The figures the admin page shows live (a summary of /metrics for this instance). */
export const systemSummarySchema = z.object({
  instance_id: z.string(),
  uptime_s: z.number(),
  requests: z.number(),
  errors_5xx: z.number(),
  rejected_429: z.number(),
  latency_p50_ms: z.number().nullable(),
  latency_p95_ms: z.number().nullable(),
  ws_connections: z.number(),
  ws_frames_sent: z.number(),
  ingest_ticks: z.number(),
  queue_dead_letters: z.number().nullable(),
  /** Messages waiting on the queue, all topics, all instances. */
  queue_depth: z.number(),
  /** Seconds the oldest waiting message has waited (any topic); 0 when none waits. */
  queue_oldest_age_s: z.number(),
  outbox_backlog: z.number(),
  outbox_oldest_age_s: z.number(),
  db_pool_max: z.number().nullable(),
  db_queries_in_flight: z.number().nullable(),
  forecast_runs: z.number(),
  strategy_runs: z.number(),
});

export type OrgSummaryOut = z.infer<typeof orgSummarySchema>;
