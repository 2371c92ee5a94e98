import { z } from "zod";
import { OPERATOR_PERMISSION } from "../../../../../services/auth/operator.ts";
import { uuidParam } from "../../../../../services/auth/schemas.ts";
import { reactivateOrganization } from "../../../../../services/admin/actions.ts";
import { adminDeps, operatorCaller } from "../../../../../server/admin_http.ts";
import { define } from "../../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Reactivate a suspended organization (platform admins)",
    description: "Its API keys work again and its members can sign in (the sessions the suspension ended stay " +
      "ended). Audited (`platform.org_reactivated`).",
    tags: ["admin"],
    permission: OPERATOR_PERMISSION,
    params: uuidParam,
    responses: {
      200: { description: "Active again", schema: z.object({ suspended: z.literal(false) }) },
      404: { description: "No such organization" },
    },
    async handler(ctx, { params }) {
      return { body: await reactivateOrganization(adminDeps(ctx), operatorCaller(ctx), params.id) };
    },
  },
});
