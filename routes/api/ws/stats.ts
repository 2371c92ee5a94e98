import { z } from "zod";
import { ISOS } from "../../../services/market/zones.ts";
import { define } from "../../../utils.ts";

const count = z.number().int().min(0);

export const hubStatsSchema = z.object({
  instance_id: z.string(),
  started_at: z.string(),
  connections: count,
  subscriptions: z.object(Object.fromEntries(ISOS.map((zone) => [zone, count]))),
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

export const handler = define.api({
  GET: {
    summary: "Realtime hub counters of this instance",
    description: "Connections, subscriptions per zone, frames and ticks sent, coalesced and deferred for slow " +
      "clients, and the cross-instance bus. Counts since this instance started; every instance keeps its own.",
    tags: ["realtime"],
    permission: "admin:flags",
    responses: { 200: { description: "Counters", schema: hubStatsSchema } },
    handler(ctx) {
      return { body: ctx.state.services.realtime.stats() };
    },
  },
});
