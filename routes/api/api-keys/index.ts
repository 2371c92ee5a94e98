import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { apiKeyName, apiKeySchema, plain, roleSchema } from "../../../services/auth/schemas.ts";
import { pageQuery, pageSchema } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "API keys",
    description: "Admins see every key of the organization; others see their own. Secrets are never shown again. " +
      "Newest first; page with `cursor` = the previous page's `next_cursor`.",
    tags: ["api-keys"],
    permission: "api_keys:manage",
    query: pageQuery({ defaultLimit: 100, maxLimit: 500 }),
    responses: { 200: { description: "A page of keys", schema: pageSchema(apiKeySchema) } },
    async handler(ctx, { query }) {
      const page = await ctx.state.services.auth.org.apiKeysPage(principal(ctx), query);
      return { body: { items: plain(page.items), next_cursor: page.next_cursor } };
    },
  },
  POST: {
    summary: "Create an API key",
    description: "The key is in this response only; use it as `Authorization: Bearer <key>`. Its role defaults to " +
      "yours and cannot be above it.",
    tags: ["api-keys"],
    permission: "api_keys:manage",
    body: z.object({
      name: apiKeyName,
      role: roleSchema.optional(),
      expires_in_days: z.number().int().min(1).max(3650).optional(),
    }),
    responses: {
      201: { description: "Created", schema: z.object({ api_key: apiKeySchema, key: z.string() }) },
      403: { description: "Role above yours" },
    },
    async handler(ctx, { body }) {
      const r = await ctx.state.services.auth.org.createApiKey(principal(ctx), body, ctx.state.ip);
      return { status: 201, body: { api_key: plain(r.api_key), key: r.key } };
    },
  },
});
