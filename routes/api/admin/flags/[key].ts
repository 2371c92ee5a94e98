import { z } from "zod";
import { OPERATOR_PERMISSION } from "../../../../services/auth/operator.ts";
import { flagInput, flagKey, setFlag } from "../../../../services/admin/actions.ts";
import { adminDeps, operatorCaller } from "../../../../server/admin_http.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  PUT: {
    summary: "Create or change a feature flag (platform admins)",
    description: "`enabled` is the default; `rollout_percent` (0-100, or null for none), when set, decides " +
      "instead for organizations without an override. Takes effect on every instance within a second. " +
      "Audited (`platform.flag_changed`).",
    tags: ["admin"],
    permission: OPERATOR_PERMISSION,
    params: z.object({ key: flagKey }),
    body: flagInput,
    responses: { 204: { description: "Saved" } },
    async handler(ctx, { params, body }) {
      await setFlag(adminDeps(ctx), operatorCaller(ctx), params.key, body);
      return new Response(null, { status: 204 });
    },
  },
});
