import assert from "node:assert/strict";
import { z } from "zod";
import {
  buildHealthReport,
  healthResponseSchema,
  liveness,
  livenessResponseSchema,
  readiness,
  readinessResponseSchema,
} from "../../services/health/report.ts";
import type { ServiceState, ServiceStatus } from "../../services/health/types.ts";

const startedAt = Date.parse("2026-01-01T00:00:00Z");
const now = new Date("2026-01-01T01:02:03.500Z");

function st(name: string, required: boolean, status: ServiceStatus, extra: Partial<ServiceState> = {}): ServiceState {
  return {
    name,
    required,
    status,
    features: [`${name} things`],
    latencyMs: status === "disabled" ? null : 1.5,
    since: "2026-01-01T00:00:01.000Z",
    lastError: status === "unavailable" ? "connection refused" : null,
    lastCheck: status === "disabled" ? null : "2026-01-01T01:02:00.000Z",
    ...extra,
  };
}

const base = { version: "1.2.3", schemaVersion: 7, startedAt, now };

Deno.test("health report: all services up is healthy with HTTP 200 and every field", () => {
  const states = [st("database", true, "available"), st("redis", false, "available"), st("mlflow", false, "disabled")];
  const { httpStatus, body } = buildHealthReport({ ...base, states });
  assert.equal(httpStatus, 200);
  assert.deepEqual(healthResponseSchema.parse(body), body, "the body matches its own schema exactly");
  assert.equal(body.status, "healthy");
  assert.equal(body.version, "1.2.3");
  assert.equal(body.schemaVersion, 7);
  assert.equal(body.uptimeSeconds, 3723);
  assert.equal(body.time, "2026-01-01T01:02:03.500Z");
  assert.deepEqual(body.services[0], {
    name: "database",
    required: true,
    status: "available",
    latencyMs: 1.5,
    since: "2026-01-01T00:00:01.000Z",
    lastError: null,
    lastCheck: "2026-01-01T01:02:00.000Z",
    features: ["database things"],
  });
  assert.deepEqual(body.services.map((s) => s.status), ["available", "available", "disabled"]);
});

Deno.test("health report: an optional service down is degraded but still 200", () => {
  const states = [st("database", true, "available"), st("clickhouse", false, "unavailable")];
  const { httpStatus, body } = buildHealthReport({ ...base, states });
  assert.equal(httpStatus, 200);
  assert.equal(body.status, "degraded");
  assert.equal(body.services[1].lastError, "connection refused");
  healthResponseSchema.parse(body);
});

Deno.test("health report: a required service down is unhealthy with HTTP 503", () => {
  const states = [st("database", true, "unavailable"), st("redis", false, "available")];
  const { httpStatus, body } = buildHealthReport({ ...base, states, schemaVersion: null });
  assert.equal(httpStatus, 503);
  assert.equal(body.status, "unhealthy");
  assert.equal(body.schemaVersion, null);
  healthResponseSchema.parse(body);
});

Deno.test("health report schema rejects what the contract does not allow", () => {
  const { body } = buildHealthReport({ ...base, states: [st("database", true, "available")] });
  assert.equal(healthResponseSchema.safeParse({ ...body, status: "fine" }).success, false);
  assert.equal(healthResponseSchema.safeParse({ ...body, time: "yesterday" }).success, false);
  assert.equal(
    healthResponseSchema.safeParse({ ...body, services: [{ ...body.services[0], status: "up" }] }).success,
    false,
  );
  // The OpenAPI generator reads these schemas: they convert to JSON Schema as named components.
  const json = z.toJSONSchema(healthResponseSchema) as {
    $ref: string;
    $defs: Record<string, { properties: Record<string, unknown> }>;
  };
  assert.equal(json.$ref, "#/$defs/HealthResponse");
  assert.ok(json.$defs.ServiceHealth);
  assert.deepEqual(Object.keys(json.$defs.HealthResponse.properties).sort(), [
    "queue",
    "schemaVersion",
    "services",
    "status",
    "time",
    "uptimeSeconds",
    "version",
  ]);
});

Deno.test("health report carries the queue's dead-letter figure when given", () => {
  const { body } = buildHealthReport({
    ...base,
    states: [st("database", true, "available")],
    queue: { backend: "kv", dead_letters: 3 },
  });
  assert.deepEqual(body.queue, { backend: "kv", dead_letters: 3 });
  assert.equal(healthResponseSchema.safeParse(body).success, true);
  assert.equal(healthResponseSchema.safeParse({ ...body, queue: { backend: "kv", dead_letters: -1 } }).success, false);
});

Deno.test("liveness is always 200", () => {
  const { httpStatus, body } = liveness(startedAt, now);
  assert.equal(httpStatus, 200);
  assert.deepEqual(livenessResponseSchema.parse(body), { status: "ok", uptimeSeconds: 3723, time: now.toISOString() });
  assert.equal(liveness(now.getTime() + 5000, now).body.uptimeSeconds, 0, "clock skew never gives negative uptime");
});

Deno.test("readiness follows required services only", () => {
  const reg = (states: ServiceState[]) => ({ states: () => states });
  const up = reg([st("database", true, "available"), st("redis", false, "unavailable")]);
  const ok = readiness(up, { now });
  assert.equal(ok.httpStatus, 200);
  assert.deepEqual(readinessResponseSchema.parse(ok.body), {
    status: "ready",
    time: now.toISOString(),
    shuttingDown: false,
    required: [{ name: "database", status: "available" }],
  });
  assert.equal(readiness(reg([st("database", true, "degraded")]), { now }).httpStatus, 200);
  const down = readiness(reg([st("database", true, "unavailable"), st("kv", true, "available")]), { now });
  assert.equal(down.httpStatus, 503);
  assert.equal(down.body.status, "not_ready");
  readinessResponseSchema.parse(down.body);
});

Deno.test("readiness is 503 while shutting down, even with every service up", () => {
  const { httpStatus, body } = readiness({ states: () => [st("database", true, "available")] }, { shuttingDown: true });
  assert.equal(httpStatus, 503);
  assert.equal(body.status, "not_ready");
  assert.equal(body.shuttingDown, true);
  readinessResponseSchema.parse(body);
});
