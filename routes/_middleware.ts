/**
 * Every request: who is calling (Bearer token, API key or session cookie), from
 * which address, and the CSRF check for what a browser could send on its own.
 * A page visit with an expired access cookie renews the session silently. An API request of an
 * organization counts against its quotas (services/admin/meter.ts: no await, no database).
 */
import {
  ACCESS_COOKIE,
  assertSameOrigin,
  clearedCookies,
  cookieOf,
  metaOf,
  REFRESH_COOKIE,
  requestIp,
  sessionCookies,
  withCookies,
} from "../server/auth_http.ts";
import { toHttpError } from "../server/errors.ts";
import { quotaError } from "../services/admin/meter.ts";
import { define } from "../utils.ts";

export const handler = define.middleware(async (ctx) => {
  const { auth } = ctx.state.services;
  ctx.state.ip = requestIp(ctx);
  const authorization = ctx.req.headers.get("authorization");
  const access = cookieOf(ctx.req, ACCESS_COOKIE);
  const refresh = access ? undefined : cookieOf(ctx.req, REFRESH_COOKIE);
  let cookieBound = false;
  let setCookies: string[] = [];

  if (authorization) {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    const r = m ? await auth.fromBearer(m[1]) : { ok: false as const, code: "invalid_token" as const };
    if (r.ok) ctx.state.auth = r.principal;
    else ctx.state.authError = r.code;
  } else if (access || refresh) {
    cookieBound = true;
    const r = access ? await auth.fromCookie(access) : null;
    // The refresh cookie is read only when the access cookie did not do.
    const renewWith = r?.ok ? undefined : refresh ?? cookieOf(ctx.req, REFRESH_COOKIE);
    if (r?.ok) ctx.state.auth = r.principal;
    else if (renewWith && isPageVisit(ctx.req, ctx.hono.req.path)) {
      // Only on page navigations: parallel API calls renewing with one refresh token would look like reuse.
      try {
        const tokens = await auth.accounts.refresh(renewWith, metaOf(ctx));
        const renewed = await auth.fromCookie(tokens.access_token);
        if (renewed.ok) ctx.state.auth = renewed.principal;
        setCookies = sessionCookies(ctx.url, tokens);
      } catch (e) {
        const http = toHttpError(e);
        if (!http || http.status >= 500) throw e;
        setCookies = clearedCookies(ctx.url);
      }
    } else {
      // The browser drops the access cookie when it expires; the refresh cookie alone means just that.
      ctx.state.authError = r?.code ?? "expired_token";
    }
  }
  const p = ctx.state.auth;
  if (p) {
    const { admin } = ctx.state.services;
    // This instance heard of the suspension before its cached principal expired: the credential is void now.
    if (admin.isSuspended(p.orgId)) {
      ctx.state.auth = null;
      ctx.state.authError = "invalid_token";
    } else if (admin.quotasOn && ctx.hono.req.path.startsWith("/api/")) {
      const refused = admin.meter.request(p.orgId);
      if (refused) throw quotaError(refused);
    }
  }
  assertSameOrigin(ctx, cookieBound);
  const res = await ctx.next();
  // A WebSocket's 101 cannot carry cookies usefully and its headers may be immutable.
  return res.status === 101 ? res : withCookies(res, setCookies);
});

function isPageVisit(req: Request, path: string): boolean {
  if (req.method !== "GET") return false;
  const mode = req.headers.get("sec-fetch-mode");
  if (mode) return mode === "navigate";
  return (req.headers.get("accept") ?? "").includes("text/html") && !path.startsWith("/api/");
}
