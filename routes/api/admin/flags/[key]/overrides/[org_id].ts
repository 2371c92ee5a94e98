import { z } from "zod";
import { OPERATOR_PERMISSION } from "../../../../../../services/auth/operator.ts";
import { flagKey, overrideInput, setFlagOverride } from "../../../../../../services/admin/actions.ts";
import { adminDeps, operatorCaller } from "../../../../../../server/admin_http.ts";
import { define } from "../../../../../../utils.ts";

export const handler = define.api({
  PUT: {
    summary: "Turn a feature on or off for one organization (platform admins)",
    description: "`enabled: null` removes the override, so the default or the rollout applies again. Takes " +
      "effect on every instance within a second. Audited (`platform.flag_override`, in that organization's log).",
    tags: ["admin"],
    permission: OPERATOR_PERMISSION,
    params: z.object({ key: flagKey, org_id: z.uuid() }),
    body: overrideInput,
    responses: { 204: { description: "Saved" }, 404: { description: "No such flag or organization" } },
    async handler(ctx, { params, body }) {
      await setFlagOverride(adminDeps(ctx), operatorCaller(ctx), params.key, params.org_id, body.enabled);
      return new Response(null, { status: 204 });
    },
  },
});
