import { z } from "zod";
import { VIRTUAL_RULES } from "../../../services/bids/virtual_rules.ts";
import { ISOS } from "../../../services/market/zones.ts";
import { onePage } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

const rulesSchema = z.object({
  zone: z.enum(ISOS),
  offered: z.boolean(),
  product: z.string().nullable(),
  min_quantity_mw: z.number().nullable(),
  price_floor: z.number().nullable(),
  price_cap: z.number().nullable(),
  nodes_eligible: z.boolean(),
  locations: z.array(z.object({ name: z.string(), kind: z.enum(["hub", "zone"]), reference: z.boolean() })),
  source: z.string().nullable(),
}).meta({ id: "VirtualRules" });

export const handler = define.api({
  GET: {
    summary: "Virtual trading rules and pricing locations per zone",
    description: "Whether each zone takes virtual (INC/DEC) bids, the minimum MW per segment, the price range, " +
      "whether nodes other than the listed hubs/zones are eligible, the locations, and the sources.",
    tags: ["virtual-bids"],
    permission: "market:read",
    feature: "virtual_bids",
    responses: {
      200: {
        description: "Rules",
        schema: z.object({ items: z.array(rulesSchema), next_cursor: z.null() }),
      },
    },
    handler() {
      const items = ISOS.map((zone) => {
        const r = VIRTUAL_RULES[zone];
        return {
          zone,
          offered: Boolean(r),
          product: r?.product ?? null,
          min_quantity_mw: r?.minQuantityMw ?? null,
          price_floor: r?.priceFloor ?? null,
          price_cap: r?.priceCap ?? null,
          nodes_eligible: r?.nodesEligible ?? false,
          locations: (r?.locations ?? []).map((l) => ({ name: l.name, kind: l.kind, reference: l.reference ?? false })),
          source: r?.source ?? null,
        };
      });
      return { body: onePage(items) };
    },
  },
});
