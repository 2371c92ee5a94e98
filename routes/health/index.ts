import { healthResponseSchema } from "../../services/health/report.ts";
import { define } from "../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Health of every service",
    description:
      "Status, latency, since when and last error of each service, the features each enables, the overall status " +
      "(unhealthy only when a required service is down), app version, schema version and uptime.",
    tags: ["health"],
    permission: "public",
    responses: {
      200: { description: "Healthy or degraded", schema: healthResponseSchema },
      503: { description: "Unhealthy: a required service is down", schema: healthResponseSchema },
    },
    handler(ctx) {
      const { httpStatus, body } = ctx.state.services.healthReport();
      return { status: httpStatus, body };
    },
  },
});
