import { OPERATOR_PERMISSION } from "../../../services/auth/operator.ts";
import { systemSummarySchema } from "../../../services/admin/schemas.ts";
import { systemSummary } from "../../../services/metrics/summary.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "This instance's key metrics (platform admins)",
    description: "A summary of GET /metrics as JSON for the admin page: requests, 5xx and 429 answers, " +
      "latency percentiles (from the histogram), WebSocket connections and frames, ingested ticks, queue, " +
      "outbox backlog and age, database pool, forecast and strategy runs.",
    tags: ["admin"],
    permission: OPERATOR_PERMISSION,
    responses: { 200: { description: "The figures", schema: systemSummarySchema } },
    async handler(ctx) {
      const { metrics, realtime } = ctx.state.services;
      return { body: await systemSummary(metrics, realtime.instanceId) };
    },
  },
});
