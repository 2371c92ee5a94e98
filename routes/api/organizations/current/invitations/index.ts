import { z } from "zod";
import { principal } from "../../../../../server/auth_http.ts";
import { emailSchema, invitationSchema, plain, roleSchema } from "../../../../../services/auth/schemas.ts";
import { pageQuery, pageSchema } from "../../../../../services/pagination.ts";
import { define } from "../../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Pending invitations",
    description: "Newest first. Page with `cursor` = the previous page's `next_cursor`.",
    tags: ["organizations"],
    permission: "invitations:manage",
    query: pageQuery({ defaultLimit: 100, maxLimit: 500 }),
    responses: { 200: { description: "A page of invitations", schema: pageSchema(invitationSchema) } },
    async handler(ctx, { query }) {
      const page = await ctx.state.services.auth.org.invitationsPage(principal(ctx), query);
      return { body: { items: plain(page.items), next_cursor: page.next_cursor } };
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
