import { z } from "zod";
import { metaOf, principal } from "../../../../server/auth_http.ts";
import { passwordInput } from "../../../../services/auth/schemas.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Turn two-factor authentication off",
    description: "Needs your password and a current code (or a backup code).",
    tags: ["auth"],
    permission: "self",
    body: z.object({ password: passwordInput, code: z.string().trim().min(6).max(32) }),
    responses: { 204: { description: "Off" }, 409: { description: "Not on" } },
    async handler(ctx, { body }) {
      await ctx.state.services.auth.accounts.mfaDisable(principal(ctx), body, metaOf(ctx));
      return { status: 204, body: null };
    },
  },
});
