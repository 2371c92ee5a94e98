import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { caller } from "../../../server/bids_http.ts";
import { createStrategy } from "../../../services/strategies/actions.ts";
import { strategyInput, strategySchema } from "../../../services/strategies/schema.ts";
import { strategiesPage } from "../../../services/strategies/store.ts";
import { pageQuery, pageSchema } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Saved strategies of your organization",
    description: "By name; `asset_id` keeps one asset's. Page with `cursor`.",
    tags: ["strategies"],
    permission: "bids:read",
    feature: "strategies",
    query: pageQuery({ defaultLimit: 100, maxLimit: 500 }).extend({ asset_id: z.uuid().optional() }),
    responses: { 200: { description: "A page of strategies", schema: pageSchema(strategySchema) } },
    async handler(ctx, { query }) {
      return { body: await strategiesPage(ctx.state.services.db(), principal(ctx).orgId, query) };
    },
  },
  POST: {
    summary: "Save a strategy for an asset",
    description: "`fixed_curve` (one curve for every hour, or the hours listed) or `forecast_following` (the live " +
      "forecast ± `margin`, for a share of the asset's power). It runs `lead_minutes` before the zone's DA gate " +
      "for the next delivery day, once per day, and makes drafts — or submits them with `submit: true` when the " +
      "organization's approval policy lets strategies submit (bids the policy catches wait for approval). You " +
      "become its owner: its bids are made on your behalf.",
    tags: ["strategies"],
    permission: "bids:write",
    feature: "strategies",
    body: strategyInput,
    responses: {
      201: { description: "Saved", schema: strategySchema },
      404: { description: "No such asset" },
      409: { description: "A strategy with this name exists" },
    },
    async handler(ctx, { body }) {
      return { status: 201, body: await createStrategy(ctx.state.services.db(), caller(ctx), body) };
    },
  },
});
