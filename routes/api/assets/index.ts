import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { ASSET_KIND_LIST, assetInput, assetSchema } from "../../../services/assets/schemas.ts";
import { assetsPage } from "../../../services/assets/store.ts";
import { createAsset } from "../../../services/assets/actions.ts";
import { pageQuery, pageSchema } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Assets of your organization",
    description: "By name, optionally of one site or kind. Page with `cursor` = the previous page's `next_cursor`.",
    tags: ["assets"],
    permission: "assets:read",
    query: pageQuery({ defaultLimit: 100, maxLimit: 500 }).extend({
      site_id: z.uuid().optional(),
      kind: z.enum(ASSET_KIND_LIST).optional(),
    }),
    responses: { 200: { description: "A page of assets", schema: pageSchema(assetSchema) } },
    async handler(ctx, { query }) {
      const { limit, cursor, ...filter } = query;
      return { body: await assetsPage(ctx.state.services.db(), principal(ctx).orgId, filter, { limit, cursor }) };
    },
  },
  POST: {
    summary: "Create an asset",
    description: "Solar, wind, thermal: capacity. Storage also: energy, charge and discharge power, round-trip " +
      "efficiency, min and max state of charge.",
    tags: ["assets"],
    permission: "assets:write",
    body: assetInput,
    responses: { 201: { description: "Created", schema: assetSchema }, 409: { description: "Name taken" } },
    async handler(ctx, { body }) {
      const actor = { principal: principal(ctx), ip: ctx.state.ip };
      return { status: 201, body: await createAsset(ctx.state.services.db(), actor, body) };
    },
  },
});
