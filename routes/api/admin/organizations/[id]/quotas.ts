import { z } from "zod";
import { OPERATOR_PERMISSION } from "../../../../../services/auth/operator.ts";
import { uuidParam } from "../../../../../services/auth/schemas.ts";
import { quotasInput, setQuotas } from "../../../../../services/admin/actions.ts";
import { ownQuotasSchema, quotasSchema } from "../../../../../services/admin/schemas.ts";
import { adminDeps, operatorCaller } from "../../../../../server/admin_http.ts";
import { define } from "../../../../../utils.ts";

export const handler = define.api({
  PUT: {
    summary: "Set an organization's quotas (platform admins)",
    description: "Every quota, each a positive whole number or null for the platform's default. Applies on " +
      "every instance within a second. Audited (`platform.quotas_changed`, with before and after).",
    tags: ["admin"],
    permission: OPERATOR_PERMISSION,
    params: uuidParam,
    body: quotasInput,
    responses: {
      200: {
        description: "The organization's quotas now",
        schema: z.object({ own: ownQuotasSchema, effective: quotasSchema }),
      },
      404: { description: "No such organization" },
    },
    async handler(ctx, { params, body }) {
      await setQuotas(adminDeps(ctx), operatorCaller(ctx), params.id, body);
      const { admin } = ctx.state.services;
      return { body: { own: body, effective: admin.quotasOf(params.id) } };
    },
  },
});
