import { z } from "zod";
import { mayInspectInstance } from "../../services/auth/operator.ts";
import { healthResponseSchema, healthSummarySchema, summarize } from "../../services/health/report.ts";
import { define } from "../../utils.ts";

const answerSchema = z.union([healthResponseSchema, healthSummarySchema]);

export const handler = define.api({
  GET: {
    summary: "Health of the app (details for admins)",
    description: "Without credentials (or for a non-admin): only the overall status and the time. For an " +
      "organization admin or a platform operator (`OPERATOR_EMAILS`): status, latency, since when and last error " +
      "of each service, the features each enables, app version, schema version and uptime. The status is " +
      "unhealthy (503) only when a required service is down.",
    tags: ["health"],
    permission: "public",
    responses: {
      200: { description: "Healthy or degraded", schema: answerSchema },
      503: { description: "Unhealthy: a required service is down", schema: answerSchema },
    },
    handler(ctx) {
      const { services } = ctx.state;
      const report = services.healthReport();
      const { httpStatus, body } = mayInspectInstance(ctx.state.auth, services.config.operatorEmails)
        ? report
        : summarize(report);
      // The answer depends on who asks: no shared cache may hand an admin's to anyone else.
      return { status: httpStatus, body, headers: { "cache-control": "no-store", vary: "Authorization, Cookie" } };
    },
  },
});
