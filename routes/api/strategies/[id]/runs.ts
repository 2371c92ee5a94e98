import { principal } from "../../../../server/auth_http.ts";
import { bidDeps } from "../../../../server/bids_http.ts";
import { uuidParam } from "../../../../services/auth/schemas.ts";
import { pageQuery, pageSchema } from "../../../../services/pagination.ts";
import { runStrategy } from "../../../../services/strategies/runner.ts";
import { runNowInput, strategyRunSchema } from "../../../../services/strategies/schema.ts";
import { getStrategy, runsPage } from "../../../../services/strategies/store.ts";
import { z } from "zod";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "A strategy's runs, newest first",
    description: "What each run made (bid ids and their status), or why it made nothing. Page with `cursor`.",
    tags: ["strategies"],
    permission: "bids:read",
    feature: "strategies",
    params: uuidParam,
    query: pageQuery({ defaultLimit: 50, maxLimit: 500 }),
    responses: { 200: { description: "A page of runs", schema: pageSchema(strategyRunSchema) } },
    async handler(ctx, { params, query }) {
      const { orgId } = principal(ctx);
      const db = ctx.state.services.db();
      await getStrategy(db, orgId, params.id); // another organization's: 404, not an empty page
      return { body: await runsPage(db, orgId, params.id, query) };
    },
  },
  POST: {
    summary: "Run a strategy now",
    description: "For `delivery_date` (default: the zone's next DA gate's day). A day is made once: when an " +
      "earlier run (scheduled or not) made its bids, that run is the answer (200, `already: true`). A run that " +
      "makes nothing (no forecast yet, the gate closed, bids refused) is recorded with its reason (201).",
    tags: ["strategies"],
    permission: "bids:write",
    feature: "strategies",
    params: uuidParam,
    body: runNowInput,
    responses: {
      200: {
        description: "The day's bids were made by an earlier run",
        schema: z.object({ run: strategyRunSchema, already: z.boolean() }),
      },
      201: { description: "Run", schema: z.object({ run: strategyRunSchema, already: z.boolean() }) },
      404: { description: "Not found" },
    },
    async handler(ctx, { params, body }) {
      const p = principal(ctx);
      const deps = bidDeps(ctx);
      const out = await runStrategy({ db: deps.db, kick: deps.bids.kick }, {
        orgId: p.orgId,
        strategyId: params.id,
        date: body?.delivery_date,
        trigger: "manual",
        actorUserId: p.userId,
        ip: ctx.state.ip,
      });
      return { status: out.already ? 200 : 201, body: out };
    },
  },
});
