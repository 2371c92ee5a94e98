import { z } from "zod";
import { principal } from "../../../../server/auth_http.ts";
import { priceTickSchema } from "../../../../services/market/types.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Send prices to your organization's live screens",
    description: "For demos and drills: the ticks go to every WebSocket client of your organization, on every " +
      'instance, marked `source: "admin"`. They are not stored and not shown to other organizations or in ' +
      "snapshots: market data of record comes only from the ingest pipeline.",
    tags: ["realtime"],
    permission: "admin:flags",
    body: z.object({ ticks: z.array(priceTickSchema).min(1).max(1000) }),
    responses: {
      202: { description: "Handed to the hub", schema: z.object({ accepted: z.number().int() }) },
    },
    handler(ctx, { body }) {
      ctx.state.services.realtime.publishPrices(body.ticks, { orgId: principal(ctx).orgId });
      return { status: 202, body: { accepted: body.ticks.length } };
    },
  },
});
