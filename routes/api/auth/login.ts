import { z } from "zod";
import { metaOf } from "../../../server/auth_http.ts";
import { emailSchema, passwordInput, tokenPairSchema } from "../../../services/auth/schemas.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Sign in",
    description: "Email and password, plus `totp_code` (or a `backup_code`) when two-factor authentication is on. " +
      "A password without the code answers 401 `mfa_required` with `details.mfa_challenge`: send it instead of " +
      "the password with the code (valid 5 minutes). Five failures from one address lock that address out of " +
      "the account for 15 minutes (429 `login_locked`); after ten failures in a row from anywhere, addresses " +
      "that never signed in to the account wait a growing delay between tries (429 `login_throttled`) unless " +
      "they send a second factor. See the README's Security section.",
    tags: ["auth"],
    permission: "public",
    body: z.object({
      email: emailSchema,
      password: passwordInput.optional(),
      mfa_challenge: z.string().min(1).max(2048).optional(),
      totp_code: z.string().regex(/^\d{6}$/, "must be 6 digits").optional(),
      backup_code: z.string().min(6).max(32).optional(),
    }).refine((b) => b.password !== undefined || b.mfa_challenge !== undefined, {
      message: "Required (or an mfa_challenge)",
      path: ["password"],
    }),
    responses: {
      200: { description: "Signed in", schema: tokenPairSchema },
      401: {
        description: "Wrong credentials, `mfa_required` (with `details.mfa_challenge`), `invalid_mfa_code` or " +
          "`mfa_challenge_invalid`",
      },
      429: { description: "`rate_limited`, `login_locked` or `login_throttled`; see Retry-After" },
    },
    async handler(ctx, { body }) {
      return { body: await ctx.state.services.auth.accounts.login(body, metaOf(ctx)) };
    },
  },
});
