import { z } from "zod";
import { metaOf, principal } from "../../../server/auth_http.ts";
import { passwordInput, tokenPairSchema } from "../../../services/auth/schemas.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  PUT: {
    summary: "Change your password",
    description: "Ends every session of yours (all devices) and returns a new one for this client.",
    tags: ["auth"],
    permission: "self",
    body: z.object({ current_password: passwordInput, new_password: passwordInput }),
    responses: { 200: { description: "Changed; a new session", schema: tokenPairSchema } },
    async handler(ctx, { body }) {
      const tokens = await ctx.state.services.auth.accounts.changePassword(
        principal(ctx),
        body.current_password,
        body.new_password,
        metaOf(ctx),
      );
      return { body: tokens };
    },
  },
});
