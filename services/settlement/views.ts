/** The settlement API's shapes as clients see them. */
import { z } from "zod";
import { pageQuery } from "../pagination.ts";
import { DIFF_STATUSES, REVIEW_STATUSES } from "./store.ts";

export const statementSchema = z.object({
  id: z.uuid(),
  zone: z.string(),
  format: z.string(),
  period_from: z.string(),
  period_to: z.string(),
  filename: z.string().nullable(),
  lines: z.number().int(),
  created_at: z.string(),
  created_by_email: z.string().nullable(),
}).meta({ id: "SettlementStatement" });

export const totalsSchema = z.array(z.object({
  status: z.enum(DIFF_STATUSES),
  count: z.number().int(),
  iso_amount: z.number(),
  our_amount: z.number(),
  difference: z.number(),
})).describe("Per comparison status: lines (hour × location × market) and their amounts, $");

export const differenceSchema = z.object({
  hour: z.string(),
  location: z.string(),
  market: z.enum(["DA", "RT"]),
  status: z.enum(DIFF_STATUSES),
  iso_mw: z.number().nullable(),
  iso_amount: z.number().nullable(),
  our_mw: z.number().nullable(),
  our_amount: z.number().nullable(),
  difference: z.number(),
  first_line: z.number().int().nullable(),
  review: z.object({
    status: z.enum(REVIEW_STATUSES),
    comment: z.string(),
    by: z.string().nullable(),
    at: z.string(),
  }).nullable(),
}).meta({ id: "SettlementDifference" });

/** The filters of the differences list, its CSV export and the page. */
export const differenceFilterQuery = z.object({
  status: z.enum([...DIFF_STATUSES, "differences"]).optional()
    .describe("A comparison status, or `differences` (all but matched); default: differences"),
  market: z.enum(["DA", "RT"]).optional(),
  location: z.string().trim().max(64).regex(/^[\x20-\x7E]*$/, "printable ASCII").optional(),
  review: z.enum([...REVIEW_STATUSES, "none"]).optional(),
});

export const differencesQuery = differenceFilterQuery.extend(pageQuery({ defaultLimit: 100, maxLimit: 1000 }).shape);
