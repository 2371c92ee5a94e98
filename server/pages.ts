/**
 * What the server-rendered auth pages share: the login redirect, safe `next`
 * targets, form parsing with per-field errors, and turning a service error
 * into a message beside the field it is about.
 */
import { type FieldLabels, plainMessage } from "../services/schemas/messages.ts";
import { withCookies } from "./auth_http.ts";
import { z } from "zod";
import { readFormData } from "../framework/api.ts";
import { HttpError } from "../framework/http_error.ts";
import { toHttpError } from "./errors.ts";
import type { FreshContext, Middleware } from "../framework/types.ts";
import type { State } from "../utils.ts";
import type { FieldErrors } from "../components/Form.tsx";
import type { Principal } from "../services/auth/principal.ts";
import { canApprove, hasPermission, type Permission } from "../services/auth/rbac.ts";
import { cachedPendingCount } from "../services/bids/approval.ts";
import { textProblem } from "../services/schemas/text.ts";

/** Only same-site paths: `//evil.example` and `/\evil` are protocol-relative URLs to browsers. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  // A control character cannot go into a Location header (and has no business in a path).
  if (textProblem(next)) return "/";
  return next;
}

export function loginRedirect(ctx: FreshContext<State>): Response {
  const next = ctx.url.pathname + ctx.url.search;
  return redirect(`/login?next=${encodeURIComponent(next)}`);
}

/**
 * The `(app)` group's gate (routes/(app)/_middleware.ts): pages below it need a signed-in member; anyone
 * else is sent to the login page, which comes back here afterwards.
 */
export const requireSignIn: Middleware<State> = (ctx) => ctx.state.auth ? ctx.next() : loginRedirect(ctx);

/** Who may use the pages of a folder: `read` for GET/HEAD, `write` for every other method. */
export interface PagePolicy {
  read: Permission;
  /** Omitted: the folder's pages take no writes, and any is refused. */
  write?: Permission;
}

/** The permission a request needs under `policy`; null: refused whoever asks. */
export function permissionFor(policy: PagePolicy, method: string): Permission | null {
  return method === "GET" || method === "HEAD" ? policy.read : policy.write ?? null;
}

export type PermissionMiddleware = Middleware<State> & { policy: PagePolicy };

/**
 * A folder's `_middleware.ts` under `(app)`: the permission its pages need, declared once. Runs after
 * `requireSignIn` (outer folders' middleware runs first); the policy is kept on the function so a test
 * can check that every page has one.
 */
export function requirePermission(policy: PagePolicy): PermissionMiddleware {
  const mw: Middleware<State> = (ctx) => {
    const needed = permissionFor(policy, ctx.req.method);
    const p = ctx.state.auth;
    if (!p) return Promise.resolve(loginRedirect(ctx));
    if (!needed || !hasPermission(p, needed)) throw new HttpError(403, "Your role does not give access to this page");
    return ctx.next();
  };
  return Object.assign(mw, { policy });
}

/**
 * An approver's pages show how many bids wait for them in the navigation (cachedPendingCount: a read per
 * change of the organization's bids, not per page view). A failure leaves the count out rather than the page.
 */
export const countApprovals: Middleware<State> = async (ctx) => {
  const p = ctx.state.auth;
  if (p && ctx.req.method === "GET" && canApprove(p)) {
    ctx.state.pendingApprovals = await cachedPendingCount(ctx.state.services.db(), p.orgId, p.userId)
      .catch(() => undefined);
  }
  return ctx.next();
};

/** The page's `:id` as a UUID; anything else is no such thing (404 naming `what`), not a database error. */
export function idParam(ctx: FreshContext<State>, what: string): string {
  const r = z.uuid().safeParse(ctx.params.id);
  if (!r.success) throw new HttpError(404, `No such ${what}`);
  return r.data;
}

/** The member a page under `(app)` serves; its middleware has already sent everyone else away. */
export function signedIn(ctx: FreshContext<State>): Principal {
  const p = ctx.state.auth;
  if (!p) throw new Error(`${ctx.route}: signedIn() outside the (app) group, whose middleware requires a user`);
  return p;
}

export async function formObject(req: Request): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of await readFormData(req)) if (typeof v === "string") out[k] = v;
  return out;
}

export type FormResult<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors };

/**
 * The form's fields through `schema`; issues become plain messages naming each field as `labels` (the
 * form's own labels) name it: services/schemas/messages.ts.
 */
export function parseForm<S extends z.ZodType>(
  schema: S,
  values: Record<string, string>,
  labels: FieldLabels = {},
): FormResult<z.infer<S>> {
  const r = schema.safeParse(values);
  if (r.success) return { ok: true, data: r.data };
  const errors: FieldErrors = {};
  for (const issue of r.error.issues) {
    const key = String(issue.path[0] ?? "_form");
    errors[key] ??= key === "_form" ? issue.message : plainMessage(issue, key, labels);
  }
  return { ok: false, errors };
}

/** A service's 4xx as form errors: field-level when the error names a body field, else a form-level message. */
export function formErrorsOf(e: unknown): FieldErrors {
  const http = toHttpError(e);
  if (!http || http.status >= 500) throw e;
  const details = http.options.details;
  if (Array.isArray(details) && details.length) {
    const errors: FieldErrors = {};
    for (const d of details as { path?: string; message?: string }[]) {
      const field = d.path?.replace(/^body\./, "") ?? "_form";
      errors[field] ??= d.message;
    }
    return errors;
  }
  return { _form: http.message };
}

/** 303 to `location` (a form's answer), with the session cookies it sets, if any. */
export function redirect(location: string, cookies: string[] = []): Response {
  return withCookies(new Response(null, { status: 303, headers: { location } }), cookies);
}

/**
 * Post/redirect/get for a form whose outcome is one of a page's fixed notices: 303 to the page with
 * `?done=<key>`, so a reload reads the page again instead of sending the form twice. Only keys are carried,
 * never text, so a crafted link cannot make the page say something it does not.
 */
export function doneRedirect(ctx: FreshContext<State>, key: string, cookies: string[] = []): Response {
  return redirect(`${ctx.url.pathname}?done=${encodeURIComponent(key)}`, cookies);
}

/** The notice a `doneRedirect` names, if it is one of the page's. */
export function doneNotice<K extends string>(ctx: FreshContext<State>, notices: Record<K, string>): {
  form?: K;
  notice?: string;
} {
  const key = ctx.url.searchParams.get("done");
  return key !== null && Object.hasOwn(notices, key) ? { form: key as K, notice: notices[key as K] } : {};
}
