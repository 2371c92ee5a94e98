import { z } from "zod";
import { HttpError } from "../../../../framework/http_error.ts";
import { principal } from "../../../../server/auth_http.ts";
import { isOperator } from "../../../../services/auth/operator.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Re-drive the queue's dead letters",
    description: "Messages that ran out of retries on the Deno KV queue (counted as `queue.dead_letters` in " +
      "`/health`) go back on the queue with fresh retries, each once, oldest topics first. Handlers are " +
      "idempotent per message, so a message some consumer group already handled is not handled again by it. " +
      "Dead letters span every organization, so only the platform operator (`OPERATOR_EMAILS`) may re-drive them.",
    tags: ["admin"],
    permission: "admin:flags",
    query: z.object({
      topic: z.string().regex(/^[\w.-]{1,200}$/, "a topic name: letters, digits, . _ - only").optional(),
      limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
    }),
    responses: {
      403: { description: "Not the platform operator" },
      200: {
        description: "How many went back, and how many are still parked",
        schema: z.object({ redriven: z.number().int(), remaining: z.number().int() }),
      },
    },
    async handler(ctx, { query }) {
      if (!isOperator(principal(ctx), ctx.state.services.config.operatorEmails)) {
        throw new HttpError(403, "Only the platform operator may re-drive the queue", { code: "operator_only" });
      }
      return { body: await ctx.state.services.queue.redrive({ topic: query.topic, limit: query.limit }) };
    },
  },
});
