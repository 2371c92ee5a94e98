import { principal } from "../../../server/auth_http.ts";
import { siteInput, siteSchema } from "../../../services/assets/schemas.ts";
import { sitesPage } from "../../../services/assets/store.ts";
import { createSite } from "../../../services/assets/actions.ts";
import { pageQuery, pageSchema } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Sites of your organization",
    description: "By name. Page with `cursor` = the previous page's `next_cursor`.",
    tags: ["assets"],
    permission: "assets:read",
    query: pageQuery({ defaultLimit: 100, maxLimit: 500 }),
    responses: { 200: { description: "A page of sites", schema: pageSchema(siteSchema) } },
    async handler(ctx, { query }) {
      return { body: await sitesPage(ctx.state.services.db(), principal(ctx).orgId, query) };
    },
  },
  POST: {
    summary: "Create a site",
    tags: ["assets"],
    permission: "assets:write",
    body: siteInput,
    responses: { 201: { description: "Created", schema: siteSchema }, 409: { description: "Name taken" } },
    async handler(ctx, { body }) {
      const actor = { principal: principal(ctx), ip: ctx.state.ip };
      return { status: 201, body: await createSite(ctx.state.services.db(), actor, body) };
    },
  },
});
