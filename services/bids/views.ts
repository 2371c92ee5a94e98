/** The bid API's shapes as clients see them: the bid, the list filters, the optional version body. */
import { z } from "zod";
import { instant } from "../schemas/instant.ts";
import { MARKETS } from "../market/types.ts";
import { ISOS } from "../market/zones.ts";
import { BID_KINDS, BID_SIDES, BID_STATUSES, VIRTUAL_SIDES } from "./schema.ts";
import { int4 } from "../schemas/numeric.ts";
import { text } from "../schemas/text.ts";

export const bidSchema = z.object({
  id: z.uuid(),
  kind: z.enum(BID_KINDS),
  /** null for a virtual bid (no asset). */
  asset_id: z.uuid().nullable(),
  asset_name: z.string().nullable(),
  /** The pricing location (hub or node) of a virtual bid; null for a physical one. */
  location: z.string().nullable(),
  zone: z.enum(ISOS),
  market: z.enum(MARKETS),
  interval_start: z.string(),
  interval_end: z.string(),
  side: z.enum([...BID_SIDES, ...VIRTUAL_SIDES]),
  segments: z.array(z.object({ price: z.number(), quantity: z.number() })),
  status: z.enum(BID_STATUSES),
  version: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  submitted_at: z.string().nullable(),
  awarded_mw: z.number().nullable(),
  clearing_price: z.number().nullable(),
  da_revenue: z.number().nullable(),
  rt_revenue: z.number().nullable(),
  revenue: z.number().nullable(),
  reject_reason: z.string().nullable().describe("Why the market, or an approver, rejected it"),
  created_by: z.uuid().nullable().describe("The member who made it (a strategy's bids: the strategy's owner)"),
  created_by_email: z.string().nullable(),
  strategy_id: z.uuid().nullable().describe("The saved strategy that made it"),
  fee: z.number().nullable(),
}).meta({ id: "Bid" });

/** A page of bids: the one pagination shape of the API. */
export const bidPageSchema = z.object({ items: z.array(bidSchema), next_cursor: z.string().nullable() });

/** The filters of GET /api/bids and its CSV export. */
export const bidFilterQuery = z.object({
  kind: z.enum(BID_KINDS).optional(),
  status: z.enum(BID_STATUSES).optional(),
  zone: z.enum(ISOS).optional(),
  market: z.enum(MARKETS).optional(),
  asset_id: z.uuid().optional(),
  from: instant().optional(),
  to: instant().optional(),
});

/** The body of reject: the reason the approver gives (kept on the bid and in its history). */
export const rejectBody = z.strictObject({
  reason: text({ min: 1, max: 500 }).describe("Why the bid is rejected; shown to its maker"),
  version: int4({ min: 1 }).optional().describe("The version you read; a stale one gets 409"),
});

/** The body of submit and withdraw: optional as a whole (no body at all is fine). */
export const versionBody = z.object({
  version: int4({ min: 1 }).optional().describe("The version you read; a stale one gets 409"),
}).optional();
