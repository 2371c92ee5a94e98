import { livenessResponseSchema } from "../../services/health/report.ts";
import { define } from "../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Liveness: the process serves requests",
    tags: ["health"],
    permission: "public",
    responses: { 200: { description: "Alive", schema: livenessResponseSchema } },
    handler(ctx) {
      const { httpStatus, body } = ctx.state.services.liveness();
      return { status: httpStatus, body };
    },
  },
});
