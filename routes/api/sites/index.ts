import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { siteInput, siteSchema } from "../../../services/assets/schemas.ts";
import { listSites } from "../../../services/assets/store.ts";
import { createSite } from "../../../services/assets/actions.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Sites of your organization",
    tags: ["assets"],
    permission: "assets:read",
    responses: { 200: { description: "Sites", schema: z.object({ items: z.array(siteSchema) }) } },
    async handler(ctx) {
      return { body: { items: await listSites(ctx.state.services.db(), principal(ctx).orgId) } };
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
