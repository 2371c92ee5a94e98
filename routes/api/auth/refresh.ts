import { z } from "zod";
import { metaOf } from "../../../server/auth_http.ts";
import { tokenPairSchema } from "../../../services/auth/schemas.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Exchange a refresh token for a new session pair",
    description: "The refresh token is rotated: the one presented is spent. Presenting a spent token again ends " +
      "the whole session (reuse detection) — except within 5 s of its rotation, when it is taken for a concurrent " +
      "refresh (two tabs) and gets a successor of its own in the same session.",
    tags: ["auth"],
    permission: "public",
    body: z.object({ refresh_token: z.string().min(1).max(200) }),
    responses: {
      200: { description: "New access and refresh tokens", schema: tokenPairSchema },
      401: { description: "Invalid, expired or reused refresh token" },
    },
    async handler(ctx, { body }) {
      return { body: await ctx.state.services.auth.accounts.refresh(body.refresh_token, metaOf(ctx)) };
    },
  },
});
