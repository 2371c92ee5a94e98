import { z } from "zod";
import { metaOf, principal } from "../../../../server/auth_http.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Start two-factor setup",
    description: "A new TOTP secret, its otpauth:// URI and a QR code (SVG). Confirm with /api/auth/mfa/verify.",
    tags: ["auth"],
    permission: "self",
    responses: {
      200: {
        description: "Secret to enrol",
        schema: z.object({ secret: z.string(), otpauth_uri: z.string(), qr_svg: z.string() }),
      },
      409: { description: "Already on" },
    },
    async handler(ctx) {
      return { body: await ctx.state.services.auth.accounts.mfaSetup(principal(ctx), metaOf(ctx)) };
    },
  },
});
