import { z } from "zod";
import { OPERATOR_PERMISSION } from "../../../../../services/auth/operator.ts";
import { uuidParam } from "../../../../../services/auth/schemas.ts";
import { suspendInput, suspendOrganization } from "../../../../../services/admin/actions.ts";
import { adminDeps, operatorCaller } from "../../../../../server/admin_http.ts";
import { define } from "../../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Suspend an organization (platform admins)",
    description: "At once, on every instance: its members' sessions end, its API keys stop authenticating, " +
      "its WebSocket connections close and no member can sign in. Its data stays. Audited " +
      "(`platform.org_suspended`, in the organization's own log). Suspending a suspended one is a no-op.",
    tags: ["admin"],
    permission: OPERATOR_PERMISSION,
    params: uuidParam,
    body: suspendInput.optional(),
    responses: {
      200: {
        description: "Suspended",
        schema: z.object({ suspended: z.literal(true), sessions_ended: z.number().int() }),
      },
      404: { description: "No such organization" },
    },
    async handler(ctx, { params, body }) {
      return { body: await suspendOrganization(adminDeps(ctx), operatorCaller(ctx), params.id, body ?? {}) };
    },
  },
});
