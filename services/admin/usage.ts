/**
 * Usage as an organization's admin (or the operator) reads it: per UTC day, as CSV, and a month's
 * summary ("billing overview": what was used, no prices). Today's row lags what the instances counted by
 * up to USAGE_FLUSH_MS (the reading instance writes its own first).
 */
import { z } from "zod";
import type { Queryable } from "../../db/database.ts";
import { invalid } from "../errors.ts";
import { csvField } from "../http/csv.ts";
import { DAY_MS, type Quotas, utcDay } from "./quotas.ts";
import { dailyUsage, holdings, type UsageDay } from "./store.ts";

/** The longest range a usage read covers (a year and a bit: a chart, not an archive). */
export const MAX_USAGE_DAYS = 400;

// Years 1900-2199: a usage day is within the app's lifetime, and the database's date type has no year 0.
const day = z.string().regex(/^(19|20|21)\d{2}-\d{2}-\d{2}$/, "a day as YYYY-MM-DD").refine(
  (v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v),
  "not a calendar day",
);

export const usageQuery = z.object({
  /** First day (UTC), default 29 days before `to`. */
  from: day.optional(),
  /** Last day (UTC), included; default today. */
  to: day.optional(),
  /** Another organization: the platform operator only. */
  org_id: z.uuid().optional(),
});

export function usageRange(q: { from?: string; to?: string }, now = Date.now()): { from: string; to: string } {
  const to = q.to ?? utcDay(now);
  const from = q.from ?? utcDay(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS);
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (days < 1) throw invalid("from must not be after to", { code: "validation_failed" });
  if (days > MAX_USAGE_DAYS) {
    throw invalid(`The range covers ${days} days; at most ${MAX_USAGE_DAYS}`, { code: "validation_failed" });
  }
  return { from, to };
}

export async function usageDays(q: Queryable, orgId: string, range: { from: string; to: string }) {
  return await dailyUsage(q, orgId, range.from, range.to);
}

export const USAGE_CSV_HEADER = "day,api_requests,bids,ws_connections,rejected";

export function usageCsvRows(days: UsageDay[]): string[] {
  return days.map((d) => [d.day, d.api_requests, d.bids, d.ws_connections, d.rejected].map(csvField).join(","));
}

export const monthSchema = z.string().regex(/^(19|20|21)\d{2}-(0[1-9]|1[0-2])$/, "a month as YYYY-MM");

export interface BillingOverview {
  organization_id: string;
  month: string;
  from: string;
  to: string;
  api_requests: number;
  bids: number;
  ws_connections: number;
  rejected: number;
  /** The busiest day's API requests. */
  peak_day: { day: string; api_requests: number } | null;
  /** What the organization holds now, against its quotas. */
  holdings: { assets: number; api_keys: number; members: number };
  quotas: Quotas;
}

/** A month's usage per organization: totals, the busiest day, and what it holds now. */
export async function billingOverview(
  q: Queryable,
  orgId: string,
  month: string,
  quotas: Quotas,
): Promise<BillingOverview> {
  const from = `${month}-01`;
  const [y, m] = month.split("-").map(Number);
  const to = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  const [days, held] = await Promise.all([dailyUsage(q, orgId, from, to), holdings(q, orgId)]);
  const sum = (k: keyof Omit<UsageDay, "day">) => days.reduce((s, d) => s + d[k], 0);
  const peak = days.reduce<UsageDay | null>(
    (best, d) => (!best || d.api_requests > best.api_requests ? d : best),
    null,
  );
  return {
    organization_id: orgId,
    month,
    from,
    to,
    api_requests: sum("api_requests"),
    bids: sum("bids"),
    ws_connections: sum("ws_connections"),
    rejected: sum("rejected"),
    peak_day: peak && peak.api_requests > 0 ? { day: peak.day, api_requests: peak.api_requests } : null,
    holdings: held,
    quotas,
  };
}
