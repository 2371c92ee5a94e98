/** What the bid routes (API and pages) hand the bid actions (services/bids/actions.ts) from a request. */
import type { FreshContext } from "../framework/types.ts";
import type { BidDeps, Caller } from "../services/bids/actions.ts";
import { DomainError } from "../services/errors.ts";
import type { Principal } from "../services/auth/principal.ts";
import type { State } from "../utils.ts";
import { principal } from "./auth_http.ts";

export function bidDeps(ctx: FreshContext<State>): BidDeps {
  const { admin } = ctx.state.services;
  return {
    db: ctx.state.services.db(),
    bids: ctx.state.services.bids,
    quota: admin.quotasOn ? admin.meter : undefined,
  };
}

export function caller(ctx: FreshContext<State>, p: Principal = principal(ctx)): Caller {
  return { principal: p, ip: ctx.state.ip };
}

/**
 * Runs an action whose input is the request body: its issue paths (relative to the input) say where
 * they are in the request, `body.segments.1.price`, as the API layer's own shape issues do.
 */
export async function withBody<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof DomainError && e.kind === "invalid" && Array.isArray(e.options.details)) {
      const details = (e.options.details as { path?: unknown }[]).map((d) =>
        typeof d?.path === "string" ? { ...d, path: d.path ? `body.${d.path}` : "body" } : d
      );
      throw new DomainError(e.kind, e.message, { ...e.options, details });
    }
    throw e;
  }
}
