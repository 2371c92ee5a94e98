/**
 * A `[from, to)` time range in a query string where both ends are optional: `to` defaults to now and
 * `from` to `defaultDays` before `to`, so a first call without parameters answers the recent past.
 */
import { z } from "zod";
import { instant } from "../schemas/instant.ts";

const DAY = 86_400_000;

export interface RangeRule {
  defaultDays: number;
  /** The longest range allowed, if any. */
  maxDays?: number;
}

/** The query fields, documented with their defaults (the OpenAPI document shows these descriptions). */
export function rangeFields(rule: RangeRule) {
  return {
    from: instant().optional()
      .describe(`Start, inclusive (ISO-8601). Default: ${rule.defaultDays} days before \`to\`.`),
    to: instant().optional().describe("End, exclusive (ISO-8601). Default: now."),
  };
}

/** The range a query asks for, its defaults applied. */
export function resolveRange(
  q: { from?: string; to?: string },
  rule: RangeRule,
  now = Date.now(),
): { from: Date; to: Date } {
  const to = q.to !== undefined ? Date.parse(q.to) : now;
  const from = q.from !== undefined ? Date.parse(q.from) : to - rule.defaultDays * DAY;
  return { from: new Date(from), to: new Date(to) };
}

/** The checks of a range with its defaults applied, as a refinement of the query object. */
export function rangeCheck(rule: RangeRule) {
  return (q: { from?: string; to?: string }, ctx: z.RefinementCtx) => {
    const { from, to } = resolveRange(q, rule);
    if (from.getTime() >= to.getTime()) {
      ctx.addIssue({ code: "custom", path: ["from"], message: "from must be before to (default: now)" });
    } else if (rule.maxDays !== undefined && to.getTime() - from.getTime() > rule.maxDays * DAY) {
      ctx.addIssue({ code: "custom", path: ["to"], message: `the range may span at most ${rule.maxDays} days` });
    }
  };
}
