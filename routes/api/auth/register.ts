import { z } from "zod";
import { metaOf } from "../../../server/auth_http.ts";
import { emailSchema, organizationName, passwordInput, tokenPairSchema } from "../../../services/auth/schemas.ts";
import { text } from "../../../services/schemas/text.ts";
import { define } from "../../../utils.ts";

const body = z.object({
  email: emailSchema,
  password: passwordInput,
  name: text({ min: 1, max: 120, minMessage: "is required" }),
  organization_name: organizationName.optional(),
  invitation_token: z.string().min(10).max(200).optional(),
}).refine((b) => Boolean(b.organization_name) !== Boolean(b.invitation_token), {
  message: "give organization_name to create an organization, or invitation_token to join one (not both)",
  path: ["organization_name"],
});

export const handler = define.api({
  POST: {
    summary: "Create an account",
    description: "Creates an organization with you as its first admin, or joins one with an invitation token. " +
      "Returns a session. Passwords: 12–128 characters, not common or guessable.",
    tags: ["auth"],
    permission: "public",
    body,
    responses: {
      201: { description: "Account created; signed in", schema: tokenPairSchema },
      409: { description: "The email has an account" },
      429: { description: "Too many registrations from this address" },
    },
    async handler(ctx, { body }) {
      return { status: 201, body: await ctx.state.services.auth.accounts.register(body, metaOf(ctx)) };
    },
  },
});
