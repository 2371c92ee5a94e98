/**
 * Feature flags at the HTTP edge: a feature that is off for the caller's organization does not exist
 * for it — 404, on pages and API alike, never a half-rendered page. Three ways to require one:
 *
 * - an API operation: `feature: "analytics"` beside its `permission` in `define.api`;
 * - a folder of pages: `export const handler = define.middleware([requireFeature("analytics"), …])`
 *   in its `_middleware.ts` (or `featureGate` inside any handler);
 * - any handler: `await assertFeature(ctx, "analytics")`.
 */
import { HttpError } from "../framework/http_error.ts";
import type { FreshContext, Middleware } from "../framework/types.ts";
import { type FlagKey, isFlagKey } from "../services/admin/flags.ts";
import type { State } from "../utils.ts";

/** Throws 404 when the signed-in caller's organization does not have `key` (no caller: nothing to check). */
export async function assertFeature(ctx: FreshContext<State>, key: FlagKey | string): Promise<void> {
  const p = ctx.state.auth;
  if (!p) return;
  // An unknown key is a programming error: refusing keeps a typo from exposing a feature.
  const on = isFlagKey(key) && await ctx.state.services.admin.featureEnabled(p.orgId, key);
  if (!on) {
    throw new HttpError(404, "This feature is not enabled for your organization", { code: "feature_disabled" });
  }
}

/** A `_middleware.ts` entry: the folder's pages exist only for organizations with the feature. */
export function requireFeature(key: FlagKey): Middleware<State> {
  return async (ctx) => {
    await assertFeature(ctx, key);
    return await ctx.next();
  };
}

/** The features with a section in the navigation (NavBar leaves out a link whose feature is off). */
const NAV_FEATURES: readonly FlagKey[] = ["analytics", "forecasts", "strategies"];

/**
 * Pages: which of the navigation's features are off for the caller's organization. The flags are held in
 * memory once loaded, so this costs no query; a failure leaves every link in rather than the page out.
 */
export const navFeatures: Middleware<State> = async (ctx) => {
  const p = ctx.state.auth;
  if (p && ctx.req.method === "GET") {
    const { admin } = ctx.state.services;
    try {
      const answers = NAV_FEATURES.map((k) => admin.featureEnabled(p.orgId, k));
      // Answered at once but for a process's very first request (the flags still loading).
      const on = answers.some((a) => a instanceof Promise) ? await Promise.all(answers) : answers;
      ctx.state.featuresOff = NAV_FEATURES.filter((_, i) => !on[i]);
    } catch {
      ctx.state.featuresOff = undefined;
    }
  }
  return await ctx.next();
};
