import { z } from "zod";
import { nextGateClosure, zoneRulesJson, zoneRulesSchema } from "../../../services/market/zones.ts";
import { onePage } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "The seven zones and their market rules",
    description: "Time zone, day-ahead gate closure and results time, real-time interval, offer cap and floor, " +
      "and offer segment limit of each ISO, with the next gate closure as an instant.",
    tags: ["market-data"],
    permission: "market:read",
    responses: {
      200: {
        description: "Zones",
        schema: z.object({
          items: z.array(zoneRulesSchema.extend({
            next_gate_closure: z.object({ delivery_date: z.string(), closes_at: z.string() }),
          })),
          next_cursor: z.null().describe("Always null: every zone is on the one page"),
        }),
      },
    },
    handler() {
      const now = new Date();
      const items = zoneRulesJson().map((r) => {
        const next = nextGateClosure(r.zone, now);
        return {
          ...r,
          next_gate_closure: { delivery_date: next.deliveryDate, closes_at: next.closesAt.toISOString() },
        };
      });
      return { body: onePage(items) };
    },
  },
});
