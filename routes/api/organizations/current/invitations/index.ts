import { z } from "zod";
import { principal } from "../../../../../server/auth_http.ts";
import { emailSchema, invitationSchema, plain, roleSchema } from "../../../../../services/auth/schemas.ts";
import { define } from "../../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Pending invitations",
    tags: ["organizations"],
    permission: "invitations:manage",
    responses: { 200: { description: "Invitations", schema: z.object({ items: z.array(invitationSchema) }) } },
    async handler(ctx) {
      return { body: { items: plain(await ctx.state.services.auth.org.invitations(principal(ctx))) } };
    },
  },
  POST: {
    summary: "Invite someone",
    description: "The token (and accept URL) is shown only in this response; it is valid for 7 days.",
    tags: ["organizations"],
    permission: "invitations:manage",
    body: z.object({ email: emailSchema, role: roleSchema }),
    responses: {
      201: {
        description: "Invited",
        schema: z.object({ invitation: invitationSchema, token: z.string(), accept_url: z.string() }),
      },
      409: { description: "Already a member" },
    },
    async handler(ctx, { body }) {
      const r = await ctx.state.services.auth.org.invite(principal(ctx), body, ctx.state.ip);
      const acceptUrl = new URL(`/register?invitation=${encodeURIComponent(r.token)}`, ctx.url).href;
      return { status: 201, body: { invitation: plain(r.invitation), token: r.token, accept_url: acceptUrl } };
    },
  },
});
