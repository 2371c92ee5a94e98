/** The bid API's shared pieces: response shapes, validation against the asset, idempotent handlers. */
import { z } from "zod";
import { HttpError } from "../../framework/http_error.ts";
import type { FreshContext } from "../../framework/types.ts";
import type { Queryable } from "../../db/database.ts";
import type { State } from "../../utils.ts";
import { getAssetCached } from "../assets/store.ts";
import { principal } from "../../server/auth_http.ts";
import type { Principal } from "../auth/principal.ts";
import { ISOS } from "../market/zones.ts";
import { idempotencyKeyOf, idempotent, type StoredResult } from "./idempotency.ts";
import {
  BID_SIDES,
  BID_STATUSES,
  type BidInput,
  bidInputSchema,
  intervalEnd,
  type Issue,
  issuesFromZod,
  validateBid,
} from "./schema.ts";
import type { Transaction } from "../../db/database.ts";

export const bidSchema = z.object({
  id: z.uuid(),
  asset_id: z.uuid(),
  asset_name: z.string(),
  zone: z.enum(ISOS),
  market: z.enum(["DA", "RT"]),
  interval_start: z.string(),
  interval_end: z.string(),
  side: z.enum(BID_SIDES),
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
  reject_reason: z.string().nullable(),
}).meta({ id: "Bid" });

/** The filters of GET /api/bids and its CSV export. */
export const bidFilterQuery = z.object({
  status: z.enum(BID_STATUSES).optional(),
  zone: z.enum(ISOS).optional(),
  market: z.enum(["DA", "RT"]).optional(),
  asset_id: z.uuid().optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export const versionBody = z.object({
  version: z.number().int().positive().optional().describe("The version you read; a stale one gets 409"),
}).optional();

function invalid(issues: Issue[], prefix: string): HttpError {
  return new HttpError(400, "The bid is invalid: " + issues.map((i) => i.message).join("; "), {
    code: "validation_failed",
    details: issues.map((i) => ({ ...i, path: `${prefix}.${i.path}` })),
  });
}

/**
 * Checks a bid already parsed with `bidInputSchema` (as the API layer does for a body) against its
 * asset, which must be the caller's, and the rules at `now`: 400 naming each field.
 */
export async function validatedParsed(
  q: Queryable,
  p: Principal,
  input: BidInput,
  now = new Date(),
  prefix = "body",
): Promise<BidInput & { interval_end: string }> {
  const asset = await getAssetCached(q, p.orgId, input.asset_id);
  const issues = validateBid(input, { asset, now });
  if (issues.length) throw invalid(issues, prefix);
  return { ...input, interval_end: intervalEnd(input.market, input.interval_start) };
}

/** The same for input whose shape is not checked yet (a row, a form): parsed first. */
export async function validated(
  q: Queryable,
  p: Principal,
  input: BidInput,
  now = new Date(),
  prefix = "body",
): Promise<BidInput & { interval_end: string }> {
  const parsed = bidInputSchema.safeParse(input);
  if (!parsed.success) throw invalid(issuesFromZod(parsed.error), prefix);
  return await validatedParsed(q, p, parsed.data, now, prefix);
}

/** Runs a state-changing bid operation once per Idempotency-Key; the 2xx means it is committed. */
export async function runIdempotent(
  ctx: FreshContext<State>,
  body: unknown,
  run: (tx: Transaction, p: Principal) => Promise<StoredResult>,
  opts: { atomicWithoutTransaction?: boolean } = {},
) {
  const p = principal(ctx);
  const r = await idempotent(
    ctx.state.services.db(),
    {
      orgId: p.orgId,
      key: idempotencyKeyOf(ctx.req),
      method: ctx.req.method,
      path: ctx.url.pathname,
      body,
    },
    (tx) => run(tx, p),
    opts,
  );
  ctx.state.services.bids.kick();
  return { status: r.status, body: r.body, headers: r.replayed ? { "Idempotent-Replayed": "true" } : undefined };
}
