/**
 * Auth at the HTTP edge: credentials from `Authorization: Bearer` or the
 * session cookies, the client's address, CSRF for cookie-authenticated
 * writes, and the permission check every API route declares.
 */
import { serialize } from "hono/utils/cookie";
import { tryDecodeURIComponent } from "hono/utils/url";
import { getConnInfo } from "hono/deno";
import { isJsonMediaType } from "../framework/api.ts";
import { HttpError } from "../framework/http_error.ts";
import type { FreshContext } from "../framework/types.ts";
import type { State } from "../utils.ts";
import type { TokenPair } from "../services/auth/accounts.ts";
import { clientIp } from "../services/auth/client_ip.ts";
import { hasPermission, isPermission } from "../services/auth/rbac.ts";
import { isOperator, OPERATOR_PERMISSION } from "../services/auth/operator.ts";
import { SESSION_ABSOLUTE_MS } from "../services/auth/sessions.ts";

export const ACCESS_COOKIE = "ob_at";
export const REFRESH_COOKIE = "ob_rt";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function requestIp(ctx: FreshContext<State>): string {
  let remote: string | undefined;
  try {
    remote = getConnInfo(ctx.hono).remote.address;
  } catch {
    remote = undefined;
  }
  return clientIp(remote, ctx.req.headers.get("x-forwarded-for"), ctx.state.services.config.trustedProxies);
}

/** Who sent a request, for sessions and the audit log. */
export function metaOf(ctx: FreshContext<State>): { ip: string; userAgent?: string } {
  return { ip: ctx.state.ip, userAgent: ctx.req.headers.get("user-agent") ?? undefined };
}

/**
 * One cookie's value. Parsed by name: a browser sends every cookie of the site on every request, and
 * checking and decoding each of them (a token is a few hundred characters) was most of the auth
 * middleware's own time on a page.
 */
export function cookieOf(req: Request, name: string): string | undefined {
  const header = req.headers.get("cookie");
  return header ? cookieValue(header, name) : undefined;
}

/** Cookie value characters (RFC 6265), as Hono's cookie parser accepts them. */
const COOKIE_VALUE = /^[ !#-:<-[\]-~]*$/;

/**
 * `parse(header, name)[name]` of Hono's cookie parser, read in place: the first pair of that name whose value
 * is valid, trimmed of spaces and tabs, unquoted and decoded. Hono splits the header and trims every pair into
 * new strings, about 2 % of a cached page's time.
 */
export function cookieValue(header: string, name: string): string | undefined {
  if (header.indexOf(name) === -1) return undefined;
  const blank = (c: number) => c === 32 || c === 9;
  // The next "=" is kept from pair to pair: looked up again only once passed, so that a header of many pairs
  // without one (`a;;;…`) is one pass, not a scan to its end per pair.
  let eq = -2;
  for (let from = 0; from <= header.length;) {
    let end = header.indexOf(";", from);
    if (end === -1) end = header.length;
    if (eq < from) eq = header.indexOf("=", from);
    if (eq === -1) return undefined; // no pair after this one has a value either
    if (eq < end) {
      let a = from, b = eq;
      while (a < b && blank(header.charCodeAt(a))) a++;
      while (b > a && blank(header.charCodeAt(b - 1))) b--;
      if (b - a === name.length && header.startsWith(name, a)) {
        let v = eq + 1, w = end;
        while (v < w && blank(header.charCodeAt(v))) v++;
        while (w > v && blank(header.charCodeAt(w - 1))) w--;
        let value = header.slice(v, w);
        if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
        else if (value === '"') value = "";
        if (COOKIE_VALUE.test(value)) return tryDecodeURIComponent(value);
      }
    }
    from = end + 1;
  }
  return undefined;
}

/**
 * The login and register forms' hidden `time_zone` (the browser's zone) becomes the user's when they have
 * none. Best effort: a failure here must not turn a good login into an error.
 */
export async function adoptBrowserZone(ctx: FreshContext<State>, userId: string, zone: unknown): Promise<void> {
  try {
    await ctx.state.services.auth.profile.adoptTimeZone(userId, zone);
  } catch (e) {
    console.warn("time zone from the browser not saved:", e instanceof Error ? e.message : e);
  }
}

/** Secure everywhere but plain-http localhost, where browsers would drop Secure cookies. */
export function secureFor(url: URL): boolean {
  return !(url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname));
}

export function sessionCookies(url: URL, tokens: TokenPair): string[] {
  const secure = secureFor(url);
  const common = { path: "/", httpOnly: true, secure, sameSite: "Lax" as const };
  const refreshAge = Math.max(1, Math.floor((Date.parse(tokens.refresh_expires_at) - Date.now()) / 1000));
  return [
    serialize(ACCESS_COOKIE, tokens.access_token, { ...common, maxAge: tokens.expires_in }),
    serialize(REFRESH_COOKIE, tokens.refresh_token, {
      ...common,
      maxAge: Math.min(refreshAge, SESSION_ABSOLUTE_MS / 1000),
    }),
  ];
}

export function clearedCookies(url: URL): string[] {
  const common = { path: "/", httpOnly: true, secure: secureFor(url), sameSite: "Lax" as const, maxAge: 0 };
  return [serialize(ACCESS_COOKIE, "", common), serialize(REFRESH_COOKIE, "", common)];
}

/** Appends Set-Cookie headers, copying the response when its headers are immutable. */
export function withCookies(res: Response, cookies: string[]): Response {
  if (!cookies.length) return res;
  try {
    for (const c of cookies) res.headers.append("Set-Cookie", c);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    for (const c of cookies) copy.headers.append("Set-Cookie", c);
    return copy;
  }
}

/** The app's own origin: PUBLIC_ORIGIN when set (behind a proxy), else the origin the request was sent to. */
export function ownOrigin(ctx: FreshContext<State>): string {
  return ctx.state.services.config.publicOrigin ?? ctx.url.origin;
}

/**
 * A state-changing request that a browser could send on its own (it carries our
 * cookies, or is a form post) must come from one of our pages: same Origin, or
 * failing that, same-origin Referer.
 *
 * Order matters: an API write whose body is not JSON is refused as such (415)
 * before this check, since no API route would read it; and a request that
 * authenticates with an `Authorization` header (access token, API key) is not a
 * browser acting on its own — no page can make a browser attach that header
 * cross-site — so it needs no same-origin proof whatever its Content-Type.
 */
export function assertSameOrigin(ctx: FreshContext<State>, cookieBound: boolean): void {
  if (SAFE_METHODS.has(ctx.req.method)) return;
  const type = ctx.req.headers.get("content-type");
  // A settlement statement is sent as the CSV file itself (routes/api/settlements/statements/index.ts).
  // The path Hono routes on (`/%61pi/…` reaches the API; its parsed URL's pathname does not say so).
  const path = ctx.hono.req.path;
  const csvUpload = CSV_UPLOAD_PATHS.has(path) && CSV_MEDIA.test(type ?? "");
  if (type !== null && !isJsonMediaType(type) && isApiPath(path) && !csvUpload) {
    throw new HttpError(415, "Send the body as JSON with Content-Type: application/json", {
      code: "unsupported_media_type",
    });
  }
  if (!cookieBound && ctx.req.headers.has("authorization")) return;
  const formLike = csvUpload ||
    /^(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)/i.test(type ?? "");
  if (!cookieBound && !formLike) return;
  const origin = ctx.req.headers.get("origin");
  const referer = ctx.req.headers.get("referer");
  let from: string | null = origin && origin !== "null" ? origin : null;
  if (!from && referer) {
    try {
      from = new URL(referer).origin;
    } catch {
      from = null;
    }
  }
  if (from !== ownOrigin(ctx)) {
    throw new HttpError(403, "Cross-site request refused: this request must come from the app's own pages", {
      code: "csrf_rejected",
    });
  }
}

/** The API routes whose body is a CSV file, and the media types they take. */
const CSV_UPLOAD_PATHS = new Set(["/api/settlements/statements"]);
export const CSV_MEDIA = /^(text\/csv|application\/csv)\s*(;|$)/i;

/** Every API route lives under /api/ and takes JSON bodies only (framework/api.ts), but the CSV uploads above. */
function isApiPath(pathname: string): boolean {
  return pathname === "/api" || pathname.startsWith("/api/");
}

/** The API layer's permission hook: 401 without valid credentials, 403 without the permission. */
export function authorize(ctx: FreshContext<State>, permission: string): void {
  const p = ctx.state.auth;
  if (!p) {
    throw new HttpError(401, ctx.state.authError === "expired_token" ? "The access token has expired" : undefined, {
      code: ctx.state.authError ?? "unauthenticated",
      headers: { "WWW-Authenticate": `Bearer realm="optibid"${ctx.state.authError ? `, error="invalid_token"` : ""}` },
    });
  }
  if (permission === OPERATOR_PERMISSION) {
    if (isOperator(p, ctx.state.services.config.operatorEmails)) return;
    throw new HttpError(403, "Only the platform operator may do this", { code: "forbidden" });
  }
  if (!isPermission(permission) || !hasPermission(p, permission)) {
    throw new HttpError(403, `Your role (${p.role}) does not allow this (${permission})`, { code: "forbidden" });
  }
}

/** The caller of a route whose permission the API layer has already checked. */
export function principal(ctx: FreshContext<State>) {
  const p = ctx.state.auth;
  if (!p) throw new HttpError(401);
  return p;
}
