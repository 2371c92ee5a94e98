/**
 * Post/redirect/get for forms whose answer is a one-time secret (a new API key, an invitation link, MFA
 * backup codes): the POST keeps the secret in Deno KV for a few minutes under a random id carried by an
 * HttpOnly, SameSite=Strict cookie limited to the page's path, and answers 303; the page's GET shows it
 * once and deletes it. The id never appears in a URL (history, logs, Referer), and the entry is bound to
 * the user and organization that made it, so another session holding the id reads nothing.
 */
import { serialize } from "hono/utils/cookie";
import type { FreshContext } from "fresh";
import type { Principal } from "../services/auth/principal.ts";
import type { State } from "../utils.ts";
import { cookieOf, secureFor } from "./auth_http.ts";
import { redirect } from "./pages.ts";

const COOKIE = "ob_once";
const TTL_MS = 5 * 60_000;
const PREFIX = "page_once_secret";

interface Entry {
  userId: string;
  orgId: string;
  kind: string;
  value: unknown;
  /** KV's expireIn deletes lazily; this is the deadline that counts. */
  expiresAt: number;
}

function cookie(ctx: FreshContext<State>, id: string, maxAge: number): string {
  return serialize(COOKIE, id, {
    path: ctx.url.pathname,
    httpOnly: true,
    secure: secureFor(ctx.url),
    sameSite: "Strict",
    maxAge,
  });
}

function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/** Keeps `value` for the page's next GET by the same user, and answers 303 to the page. */
export async function redirectWithSecret(
  ctx: FreshContext<State>,
  p: Principal,
  kind: string,
  value: unknown,
  cookies: string[] = [],
): Promise<Response> {
  const id = newId();
  const entry: Entry = { userId: p.userId, orgId: p.orgId, kind, value, expiresAt: Date.now() + TTL_MS };
  await ctx.state.services.kv().set([PREFIX, id], entry, { expireIn: TTL_MS });
  return redirect(ctx.url.pathname, [...cookies, cookie(ctx, id, TTL_MS / 1000)]);
}

/**
 * The secret a `redirectWithSecret` kept for this user, once: it is deleted as it is read (an atomic check,
 * so two racing reloads cannot both show it). `headers` clears the cookie and keeps the page out of caches;
 * pass them to `page()` whenever a cookie came, found or not.
 */
export async function takeSecret<T>(
  ctx: FreshContext<State>,
  p: Principal,
  kind: string,
): Promise<{ value?: T; headers?: Record<string, string> }> {
  const id = cookieOf(ctx.req, COOKIE);
  if (!id) return {};
  const headers = { "set-cookie": cookie(ctx, "", 0), "cache-control": "no-store" };
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(id)) return { headers };
  const kv = ctx.state.services.kv();
  const key = [PREFIX, id];
  const got = await kv.get<Entry>(key);
  const e = got.value;
  // Someone else's id is left alone: it is theirs to read, and reveals nothing here.
  if (!e || e.userId !== p.userId || e.orgId !== p.orgId || e.kind !== kind) return { headers };
  const done = await kv.atomic().check(got).delete(key).commit();
  if (!done.ok || e.expiresAt < Date.now()) return { headers };
  return { value: e.value as T, headers };
}
