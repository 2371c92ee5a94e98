import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { isOperator } from "../../../services/auth/operator.ts";
import { ISOS } from "../../../services/market/zones.ts";
import { define } from "../../../utils.ts";

const count = z.number().int().min(0);

const subscriptions = z.object(Object.fromEntries(ISOS.map((zone) => [zone, count])));

export const hubStatsSchema = z.object({
  scope: z.literal("instance"),
  instance_id: z.string(),
  started_at: z.string(),
  connections: count,
  subscriptions,
  messages_sent: count,
  frames_sent: count,
  ticks_published: count,
  ticks_from_peers: count,
  ticks_delivered: count,
  ticks_coalesced: count,
  frames_deferred: count,
  frames_dropped: count,
  slow_clients: count,
  max_buffered_bytes: count,
  alerts_published: count,
  dead_closed: count,
  flush_window_ms: z.number(),
  flushes: count,
  flush_busy_ms: count,
  window_age_ms: z.object({ p50: z.number(), p99: z.number(), max: z.number() }),
  bus: z.object({
    kind: z.enum(["redis", "broadcast-channel", "none"]),
    connected: z.boolean(),
    published: count,
    received: count,
    skipped: count,
    errors: count,
  }),
}).meta({ id: "RealtimeStats" });

export const orgHubStatsSchema = z.object({
  scope: z.literal("organization"),
  instance_id: z.string(),
  started_at: z.string(),
  organization_id: z.uuid(),
  connections: count,
  subscriptions,
  slow_clients: count,
  messages_sent: count,
  frames_sent: count,
  ticks_delivered: count,
}).meta({ id: "RealtimeOrgStats" });

export const handler = define.api({
  GET: {
    summary: "Realtime hub counters of this instance",
    description: "For an organization's admin: its own connections, subscriptions per zone and what was sent " +
      "to them (`scope: organization`). For a platform operator (`OPERATOR_EMAILS`): the whole instance — every " +
      "organization's connections, frames and ticks sent, coalesced and deferred for slow clients, and the " +
      "cross-instance bus (`scope: instance`). Counts since this instance started; every instance keeps its own.",
    tags: ["realtime"],
    permission: "admin:flags",
    responses: {
      200: { description: "Counters", schema: z.union([hubStatsSchema, orgHubStatsSchema]) },
    },
    handler(ctx) {
      const { realtime, config } = ctx.state.services;
      const p = principal(ctx);
      if (isOperator(p, config.operatorEmails)) return { body: { scope: "instance" as const, ...realtime.stats() } };
      return { body: { scope: "organization" as const, ...realtime.orgStats(p.orgId) } };
    },
  },
});
