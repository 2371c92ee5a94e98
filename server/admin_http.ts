/** What the admin routes (API and pages) share: the operator check and whose organization a read is about. */
import { HttpError } from "../framework/http_error.ts";
import type { FreshContext } from "../framework/types.ts";
import type { AdminDeps, OperatorCaller } from "../services/admin/actions.ts";
import type { OrgSummaryOut } from "../services/admin/schemas.ts";
import type { OrgSummary } from "../services/admin/store.ts";
import { isOperator } from "../services/auth/operator.ts";
import type { Principal } from "../services/auth/principal.ts";
import type { State } from "../utils.ts";
import { principal } from "./auth_http.ts";

export function isPlatformAdmin(ctx: FreshContext<State>, p: Principal | null = ctx.state.auth): boolean {
  return isOperator(p, ctx.state.services.config.operatorEmails);
}

/** The platform operator acting (the route declared OPERATOR_PERMISSION, or a page checked it). */
export function operatorCaller(ctx: FreshContext<State>): OperatorCaller {
  const p = principal(ctx);
  if (!isPlatformAdmin(ctx, p)) throw new HttpError(403, "Only a platform admin may do this", { code: "forbidden" });
  return { principal: p, ip: ctx.state.ip };
}

export function adminDeps(ctx: FreshContext<State>): AdminDeps {
  return { db: ctx.state.services.db(), admin: ctx.state.services.admin };
}

/**
 * The organization a read is about: the caller's own, or — for the platform operator only — the one
 * asked for. Anyone else naming another organization gets 404, as for any other tenant's data.
 */
export function scopedOrg(ctx: FreshContext<State>, requested: string | undefined | null): string {
  const p = principal(ctx);
  if (!requested || requested === p.orgId) return p.orgId;
  if (isPlatformAdmin(ctx, p)) return requested;
  throw new HttpError(404, "No such organization", { code: "not_found" });
}

/** An organization row as the API shows it. */
export function orgOut(o: OrgSummary): OrgSummaryOut {
  return {
    id: o.id,
    name: o.name,
    created_at: new Date(o.created_at).toISOString(),
    status: o.suspended_at ? "suspended" : "active",
    suspended_at: o.suspended_at ? new Date(o.suspended_at).toISOString() : null,
    suspended_reason: o.suspended_reason,
    members: o.members,
    api_requests_today: o.api_requests_today,
    bids_today: o.bids_today,
  };
}

/** For a page's component (which has the request state, not the context): is the viewer a platform admin? */
export function platformAdminViewer(state: State): boolean {
  return isOperator(state.auth, state.services.config.operatorEmails);
}

/** Pages only a platform admin may see: for anyone else they do not exist (404, as for another tenant's data). */
export function requirePlatformAdminPage(ctx: FreshContext<State>): Principal {
  const p = principal(ctx);
  if (!isPlatformAdmin(ctx, p)) throw new HttpError(404);
  return p;
}
