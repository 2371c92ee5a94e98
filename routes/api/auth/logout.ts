import { z } from "zod";
import { metaOf, principal } from "../../../server/auth_http.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Sign out",
    description: "Ends this session (its refresh tokens and access tokens); `everywhere: true` ends all your sessions.",
    tags: ["auth"],
    permission: "self",
    body: z.object({ everywhere: z.boolean().optional(), refresh_token: z.string().max(200).optional() }).optional(),
    responses: { 204: { description: "Signed out" } },
    async handler(ctx, { body }) {
      await ctx.state.services.auth.accounts.logout(
        principal(ctx),
        { everywhere: body?.everywhere, refreshToken: body?.refresh_token },
        metaOf(ctx),
      );
      return { status: 204, body: null };
    },
  },
});
