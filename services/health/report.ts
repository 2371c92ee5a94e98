/**
 * Bodies of /health, /health/live and /health/ready. Pure: the caller passes the
 * registry's states and the process facts, so the API layer, the status page and
 * tests build identical answers. The zod schemas are the OpenAPI contract.
 */
import { z } from "zod";
import { overallStatus } from "./registry.ts";
import type { ServiceState } from "./types.ts";

export const serviceStatusSchema = z.enum(["available", "degraded", "unavailable", "disabled"]);
export const overallStatusSchema = z.enum(["healthy", "degraded", "unhealthy"]);

export const serviceHealthSchema = z.object({
  name: z.string().describe("database, kv, redis, kafka, clickhouse, mlflow"),
  required: z.boolean().describe("A required service that is down makes the app unhealthy (503)."),
  status: serviceStatusSchema.describe("disabled = not configured; the app uses its fallback."),
  latencyMs: z.number().nonnegative().nullable().describe("Round trip of the last start or check."),
  since: z.iso.datetime().describe("When the current status began."),
  lastError: z.string().nullable().describe("Message of the last failed attempt while not available."),
  lastCheck: z.iso.datetime().nullable(),
  features: z.array(z.string()).describe("What the service enables."),
}).meta({ id: "ServiceHealth" });

export const healthResponseSchema = z.object({
  status: overallStatusSchema.describe(
    "unhealthy only when a required service is down (HTTP 503); degraded when an optional one is.",
  ),
  version: z.string(),
  uptimeSeconds: z.number().nonnegative(),
  schemaVersion: z.number().int().nonnegative().nullable().describe(
    "Latest applied database migration; null before migrations ran.",
  ),
  time: z.iso.datetime(),
  services: z.array(serviceHealthSchema),
  queue: z.object({
    backend: z.enum(["kafka", "kv"]).describe("Where the last message was published."),
    dead_letters: z.number().int().nonnegative().nullable().describe(
      "Messages parked after their last retry (null until first counted); POST /api/admin/queue/redrive re-drives them.",
    ),
  }).optional(),
}).meta({ id: "HealthResponse" });

/**
 * What anyone may know: up or not. Versions, uptime, latencies and error messages help an
 * attacker pick an exploit and time it, so they are for admins (see routes/health/index.ts).
 */
export const healthSummarySchema = z.object({
  status: overallStatusSchema,
  time: z.iso.datetime(),
}).meta({ id: "HealthSummary" });

export const livenessResponseSchema = z.object({
  status: z.literal("ok"),
  uptimeSeconds: z.number().nonnegative(),
  time: z.iso.datetime(),
}).meta({ id: "LivenessResponse" });

export const readinessResponseSchema = z.object({
  status: z.enum(["ready", "not_ready"]),
  time: z.iso.datetime(),
  shuttingDown: z.boolean().describe("Draining before exit: not ready, so load balancers stop sending traffic."),
  required: z.array(z.object({ name: z.string(), status: serviceStatusSchema }))
    .describe("The required services and their status; any not available or degraded means not_ready."),
}).meta({ id: "ReadinessResponse" });

export type ServiceHealth = z.infer<typeof serviceHealthSchema>;
export type HealthResponse = z.infer<typeof healthResponseSchema>;
export type HealthSummary = z.infer<typeof healthSummarySchema>;
export type LivenessResponse = z.infer<typeof livenessResponseSchema>;
export type ReadinessResponse = z.infer<typeof readinessResponseSchema>;

export interface HealthReport<Body> {
  httpStatus: 200 | 503;
  body: Body;
}

export interface HealthReportInput {
  states: readonly ServiceState[];
  version: string;
  schemaVersion: number | null;
  /** Process start, ms since the epoch. */
  startedAt: number;
  queue?: HealthResponse["queue"];
  now?: Date;
}

function uptimeSeconds(startedAt: number, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - startedAt) / 1000));
}

export function buildHealthReport(input: HealthReportInput): HealthReport<HealthResponse> {
  const now = input.now ?? new Date();
  const status = overallStatus(input.states);
  return {
    httpStatus: status === "unhealthy" ? 503 : 200,
    body: {
      status,
      version: input.version,
      uptimeSeconds: uptimeSeconds(input.startedAt, now),
      schemaVersion: input.schemaVersion,
      time: now.toISOString(),
      services: input.states.map((s) => ({
        name: s.name,
        required: s.required,
        status: s.status,
        latencyMs: s.latencyMs,
        since: s.since,
        lastError: s.lastError,
        lastCheck: s.lastCheck,
        features: [...s.features],
      })),
      ...(input.queue ? { queue: input.queue } : {}),
    },
  };
}

export function summarize(report: HealthReport<HealthResponse>): HealthReport<HealthSummary> {
  return { httpStatus: report.httpStatus, body: { status: report.body.status, time: report.body.time } };
}

/** The process runs and its event loop turns: nothing else is asked, so a dead database cannot get it restarted. */
export function liveness(startedAt: number, now: Date = new Date()): HealthReport<LivenessResponse> {
  return {
    httpStatus: 200,
    body: { status: "ok", uptimeSeconds: uptimeSeconds(startedAt, now), time: now.toISOString() },
  };
}

/**
 * Takes traffic once every required service answers (degraded included) and until shutdown
 * begins; optional services never matter here.
 */
export function readiness(
  registry: { states(): ServiceState[] },
  options: { shuttingDown?: boolean; now?: Date } = {},
): HealthReport<ReadinessResponse> {
  const now = options.now ?? new Date();
  const shuttingDown = options.shuttingDown ?? false;
  const required = registry.states().filter((s) => s.required).map((s) => ({ name: s.name, status: s.status }));
  const ready = !shuttingDown && required.every((s) => s.status === "available" || s.status === "degraded");
  return {
    httpStatus: ready ? 200 : 503,
    body: { status: ready ? "ready" : "not_ready", time: now.toISOString(), shuttingDown, required },
  };
}
