import { z } from "zod";
import { principal } from "../../../../server/auth_http.ts";
import { uuidParam } from "../../../../services/auth/schemas.ts";
import { comparisonTotals, getStatement } from "../../../../services/settlement/store.ts";
import { statementSchema, totalsSchema } from "../../../../services/settlement/views.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "A statement and the totals of its comparison",
    tags: ["settlements"],
    permission: "bids:read",
    params: uuidParam,
    responses: {
      200: { description: "Statement", schema: z.object({ statement: statementSchema, totals: totalsSchema }) },
      404: { description: "No such statement in your organization" },
    },
    async handler(ctx, { params }) {
      const db = ctx.state.services.db();
      const { orgId } = principal(ctx);
      const statement = await getStatement(db, orgId, params.id);
      return { body: { statement, totals: await comparisonTotals(db, orgId, params.id) } };
    },
  },
});
