import { z } from "zod";
import { metaOf } from "../../../server/auth_http.ts";
import { emailSchema, passwordInput, tokenPairSchema } from "../../../services/auth/schemas.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Sign in",
    description: "Email and password, plus `totp_code` (or a `backup_code`) when two-factor authentication is on. " +
      "Five failed attempts lock the account for 15 minutes (423).",
    tags: ["auth"],
    permission: "public",
    body: z.object({
      email: emailSchema,
      password: passwordInput,
      totp_code: z.string().regex(/^\d{6}$/, "must be 6 digits").optional(),
      backup_code: z.string().min(6).max(32).optional(),
    }),
    responses: {
      200: { description: "Signed in", schema: tokenPairSchema },
      401: { description: "Wrong credentials, or `mfa_required` / `invalid_mfa_code`" },
      423: { description: "Account locked; see Retry-After" },
      429: { description: "Rate limited; see Retry-After" },
    },
    async handler(ctx, { body }) {
      return { body: await ctx.state.services.auth.accounts.login(body, metaOf(ctx)) };
    },
  },
});
