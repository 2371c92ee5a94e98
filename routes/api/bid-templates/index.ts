import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { ASSET_KINDS } from "../../../services/bids/schema.ts";
import { templateInput, templateSchema } from "../../../services/bids/template_schema.ts";
import { createTemplate, templatesPage } from "../../../services/bids/templates.ts";
import { pageQuery, pageSchema } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Day templates of your organization",
    description: "By name; `asset_kind` keeps the templates that fit an asset of that kind. Page with `cursor`.",
    tags: ["bids"],
    permission: "bids:read",
    query: pageQuery({ defaultLimit: 100, maxLimit: 500 }).extend({ asset_kind: z.enum(ASSET_KINDS).optional() }),
    responses: { 200: { description: "A page of templates", schema: pageSchema(templateSchema) } },
    async handler(ctx, { query }) {
      return { body: await templatesPage(ctx.state.services.db(), principal(ctx).orgId, query) };
    },
  },
  POST: {
    summary: "Save a day's curves as a named template",
    description: "Per hour-ending label (HE1–HE24, HE2*) a side and a curve, for assets of `asset_kind`. " +
      "Applying it is filling a day grid; the bids it makes are checked when submitted.",
    tags: ["bids"],
    permission: "bids:write",
    body: templateInput,
    responses: {
      201: { description: "Saved", schema: templateSchema },
      409: { description: "A template with this name exists" },
    },
    async handler(ctx, { body }) {
      const c = { principal: principal(ctx), ip: ctx.state.ip };
      return { status: 201, body: await createTemplate(ctx.state.services.db(), c, body) };
    },
  },
});
