import { principal } from "../../../../../server/auth_http.ts";
import { uuidParam } from "../../../../../services/auth/schemas.ts";
import { pageSchema } from "../../../../../services/pagination.ts";
import { getStatement, listDifferences } from "../../../../../services/settlement/store.ts";
import { differenceSchema, differencesQuery } from "../../../../../services/settlement/views.ts";
import { define } from "../../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "The statement's comparison, line by line",
    description: "Per hour (UTC), location and market: the ISO's amount, OptiBid's, the difference and the " +
      "status (matched within $0.01, amount_differs, only_iso, only_ours), with its review if any. " +
      "Default `status=differences` (all but matched).",
    tags: ["settlements"],
    permission: "bids:read",
    params: uuidParam,
    query: differencesQuery,
    responses: {
      200: { description: "A page of the comparison", schema: pageSchema(differenceSchema) },
      404: { description: "No such statement in your organization" },
    },
    async handler(ctx, { params, query }) {
      const db = ctx.state.services.db();
      const { orgId } = principal(ctx);
      await getStatement(db, orgId, params.id);
      return {
        body: await listDifferences(db, orgId, params.id, { ...query, status: query.status ?? "differences" }),
      };
    },
  },
});
