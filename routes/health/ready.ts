import { readinessResponseSchema } from "../../services/health/report.ts";
import { define } from "../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Readiness: required services are up and the app is not shutting down",
    tags: ["health"],
    permission: "public",
    responses: {
      200: { description: "Ready", schema: readinessResponseSchema },
      503: { description: "Not ready", schema: readinessResponseSchema },
    },
    handler(ctx) {
      const { httpStatus, body } = ctx.state.services.readiness();
      return { status: httpStatus, body };
    },
  },
});
