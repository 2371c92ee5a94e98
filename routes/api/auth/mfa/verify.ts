import { z } from "zod";
import { metaOf, principal } from "../../../../server/auth_http.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Confirm two-factor setup with a code",
    description: "Turns two-factor authentication on and returns ten single-use backup codes, shown only now.",
    tags: ["auth"],
    permission: "self",
    body: z.object({ code: z.string().trim().regex(/^\d{6}$/, "must be 6 digits") }),
    responses: {
      200: { description: "On", schema: z.object({ backup_codes: z.array(z.string()).length(10) }) },
      409: { description: "Already on, or setup not started" },
    },
    async handler(ctx, { body }) {
      return { body: await ctx.state.services.auth.accounts.mfaVerify(principal(ctx), body.code, metaOf(ctx)) };
    },
  },
});
