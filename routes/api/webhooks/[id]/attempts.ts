import { principal } from "../../../../server/auth_http.ts";
import { uuidParam } from "../../../../services/auth/schemas.ts";
import { attemptSchema } from "../../../../services/notifications/schemas.ts";
import { attemptsPage } from "../../../../services/notifications/webhooks.ts";
import { pageQuery, pageSchema } from "../../../../services/pagination.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "A webhook endpoint's delivery log",
    description: "Every attempt, newest first: status code, duration, an excerpt of the answer, the error.",
    tags: ["webhooks"],
    permission: "webhooks:manage",
    params: uuidParam,
    query: pageQuery({ defaultLimit: 50, maxLimit: 200 }),
    responses: { 200: { description: "A page of attempts", schema: pageSchema(attemptSchema) } },
    async handler(ctx, { params, query }) {
      return { body: await attemptsPage(ctx.state.services.db(), principal(ctx).orgId, params.id, query) };
    },
  },
});
