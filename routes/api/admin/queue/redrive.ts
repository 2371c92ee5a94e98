import { z } from "zod";
import { OPERATOR_PERMISSION } from "../../../../services/auth/operator.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Re-drive the queue's dead letters",
    description: "Messages that ran out of retries on the Deno KV queue (counted as `queue.dead_letters` in " +
      "`/health`) go back on the queue with fresh retries, each once, oldest topics first. Handlers are " +
      "idempotent per message, so a message some consumer group already handled is not handled again by it. " +
      "Dead letters span every organization, so only the platform operator (`OPERATOR_EMAILS`) may re-drive them.",
    tags: ["admin"],
    permission: OPERATOR_PERMISSION,
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
      return { body: await ctx.state.services.queue.redrive({ topic: query.topic, limit: query.limit }) };
    },
  },
});
