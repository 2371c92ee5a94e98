import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { organizationName, organizationSchema, organizationSettings, plain } from "../../../services/auth/schemas.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Your organization",
    tags: ["organizations"],
    permission: "org:read",
    responses: { 200: { description: "The organization", schema: organizationSchema } },
    async handler(ctx) {
      return { body: plain(await ctx.state.services.auth.org.get(principal(ctx))) };
    },
  },
  PUT: {
    summary: "Update your organization",
    tags: ["organizations"],
    permission: "org:update",
    body: z.object({
      name: organizationName.optional(),
      settings: organizationSettings.optional(),
    }),
    responses: { 200: { description: "Updated", schema: organizationSchema } },
    async handler(ctx, { body }) {
      return { body: plain(await ctx.state.services.auth.org.update(principal(ctx), body, ctx.state.ip)) };
    },
  },
});
