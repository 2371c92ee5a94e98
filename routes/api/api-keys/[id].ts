import { principal } from "../../../server/auth_http.ts";
import { uuidParam } from "../../../services/auth/schemas.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  DELETE: {
    summary: "Revoke an API key",
    tags: ["api-keys"],
    permission: "api_keys:manage",
    params: uuidParam,
    responses: { 204: { description: "Revoked" }, 404: { description: "No such key" } },
    async handler(ctx, { params }) {
      await ctx.state.services.auth.org.revokeApiKey(principal(ctx), params.id, ctx.state.ip);
      return { status: 204, body: null };
    },
  },
});
