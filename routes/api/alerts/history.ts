import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { firingSchema } from "../../../services/alerts/schema.ts";
import { historyPage } from "../../../services/alerts/store.ts";
import { pageQuery, pageSchema } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Price alert history",
    description: "Firings of your organization's alerts, newest first; `alert_id` keeps one alert's.",
    tags: ["alerts"],
    permission: "market:read",
    query: pageQuery({ defaultLimit: 100, maxLimit: 500 }).extend({ alert_id: z.uuid().optional() }),
    responses: { 200: { description: "A page of firings", schema: pageSchema(firingSchema) } },
    async handler(ctx, { query }) {
      return { body: await historyPage(ctx.state.services.db(), principal(ctx).orgId, query) };
    },
  },
});
