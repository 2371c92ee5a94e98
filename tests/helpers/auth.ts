/**
 * Fixtures for the auth integration tests: organizations with members of each
 * role (made the way users make them: register, invite, accept), requests with
 * a Bearer token, and access tokens minted by hand for the JWT attack tests.
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import type { Role } from "../../services/auth/rbac.ts";
import { sha256Hex } from "../../services/crypto/sha256.ts";
import { REFRESH_GRACE_MS } from "../../services/auth/sessions.ts";
import { GOOD_PASSWORD, json, TEST_JWT_SECRET, type TestApp, uniqueEmail, uniqueIp } from "./test_app.ts";

/** Every test of the in-process app shares it across tests, so the sanitizers must be off. */
export const opts = { sanitizeResources: false, sanitizeOps: false };

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  refresh_expires_at: string;
  user: { id: string; email: string; name: string };
  organization: { id: string; name: string };
  role: Role;
}

export interface Member {
  email: string;
  password: string;
  name: string;
  role: Role;
  userId: string;
  orgId: string;
  orgName: string;
  tokens: TokenPair;
  /** The address this member's requests come from (its own, so rate limits stay apart). */
  ip: string;
}

export interface Org {
  id: string;
  name: string;
  admin: Member;
}

export interface CallResult {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
  text: string;
  headers: Headers;
}

/** A request with optional JSON body and credentials; the body is read so nothing leaks. */
export async function call(
  t: TestApp,
  method: string,
  path: string,
  o: { token?: string; body?: unknown; ip?: string; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers["content-type"] ??= "application/json";
  const res = await t.fetch(path, {
    method,
    headers,
    body: o.body === undefined ? undefined : typeof o.body === "string" ? o.body : JSON.stringify(o.body),
    ip: o.ip ?? uniqueIp(),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return { status: res.status, body, text, headers: res.headers };
}

/** Asserts the status, showing the body when it differs. */
export function expectStatus(r: CallResult, status: number, what = ""): void {
  assert.equal(r.status, status, `${what} expected ${status}, got ${r.status}: ${r.text.slice(0, 500)}`);
}

/** Asserts an API error with this status and code. */
export function expectError(r: CallResult, status: number, code: string, what = ""): void {
  expectStatus(r, status, what);
  assert.equal(r.body?.error?.code, code, `${what} error code: ${r.text.slice(0, 500)}`);
}

let orgCounter = 0;

/** A new organization with its first admin, by registration (`email` when the test must know it beforehand). */
export async function createOrg(t: TestApp, tag = "org", o: { email?: string } = {}): Promise<Org> {
  const ip = uniqueIp();
  const email = o.email ?? uniqueEmail(`${tag}-admin`);
  const name = `${tag} Admin`;
  const orgName = `${tag} Energy ${Date.now().toString(36)}${orgCounter++}`;
  const r = await call(t, "POST", "/api/auth/register", {
    body: { email, password: GOOD_PASSWORD, name, organization_name: orgName },
    ip,
  });
  expectStatus(r, 201, "register");
  const tokens = r.body as TokenPair;
  const admin: Member = {
    email,
    password: GOOD_PASSWORD,
    name,
    role: "admin",
    userId: tokens.user.id,
    orgId: tokens.organization.id,
    orgName,
    tokens,
    ip,
  };
  return { id: admin.orgId, name: orgName, admin };
}

/** Invites someone with `role` into `org` (as its admin) and registers them with the invitation. */
export async function addMember(t: TestApp, org: Org, role: Role, tag: string = role): Promise<Member> {
  const email = uniqueEmail(`${tag}`);
  const inv = await call(t, "POST", "/api/organizations/current/invitations", {
    token: org.admin.tokens.access_token,
    body: { email, role },
    ip: org.admin.ip,
  });
  expectStatus(inv, 201, "invite");
  const ip = uniqueIp();
  const name = `${tag[0].toUpperCase()}${tag.slice(1)} Member`;
  const r = await call(t, "POST", "/api/auth/register", {
    body: { email, password: GOOD_PASSWORD, name, invitation_token: inv.body.token },
    ip,
  });
  expectStatus(r, 201, "register with invitation");
  const tokens = r.body as TokenPair;
  assert.equal(tokens.role, role);
  assert.equal(tokens.organization.id, org.id);
  return {
    email,
    password: GOOD_PASSWORD,
    name,
    role,
    userId: tokens.user.id,
    orgId: org.id,
    orgName: org.name,
    tokens,
    ip,
  };
}

/** An organization with one member of every role (the admin is its creator). */
export async function orgWithAllRoles(t: TestApp, tag = "rbac"): Promise<{ org: Org; members: Record<Role, Member> }> {
  const org = await createOrg(t, tag);
  const [trader, analyst, viewer] = await Promise.all(
    (["trader", "analyst", "viewer"] as const).map((role) => addMember(t, org, role, `${tag}-${role}`)),
  );
  return { org, members: { admin: org.admin, trader, analyst, viewer } };
}

/** Logs in; returns the raw result (the caller checks the status). */
export async function login(
  t: TestApp,
  m: { email: string; password?: string },
  o: { ip?: string; totp_code?: string; backup_code?: string; password?: string } = {},
): Promise<CallResult> {
  const body: Record<string, string> = { email: m.email, password: o.password ?? m.password ?? GOOD_PASSWORD };
  if (o.totp_code) body.totp_code = o.totp_code;
  if (o.backup_code) body.backup_code = o.backup_code;
  return await call(t, "POST", "/api/auth/login", { body, ip: o.ip });
}

/** Logs in and returns a fresh token pair (a new session). */
export async function newSession(t: TestApp, m: { email: string; password?: string }, ip?: string) {
  const r = await login(t, m, { ip });
  expectStatus(r, 200, "login");
  return r.body as TokenPair;
}

/** GET /api/auth/me with a Bearer value: the simplest "does this credential work?" probe. */
export async function meStatus(t: TestApp, token: string, ip?: string): Promise<CallResult> {
  return await call(t, "GET", "/api/auth/me", { token, ip });
}

export async function refresh(t: TestApp, refreshToken: string, ip?: string): Promise<CallResult> {
  return await call(t, "POST", "/api/auth/refresh", { body: { refresh_token: refreshToken }, ip });
}

/** The claims of a token, unverified (for copying a real session's sub/org/sid). */
export function claimsOf(token: string): Record<string, unknown> {
  const [, payload] = token.split(".");
  return JSON.parse(new TextDecoder().decode(decodeBase64Url(payload)));
}

export function decodeBase64Url(s: string): Uint8Array {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

export function encodeBase64Url(bytes: Uint8Array | string): string {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export const TEST_ISSUER = "optibid";
export const TEST_AUDIENCE = "optibid";

/**
 * An access token made by hand with the test app's secret: by default exactly what
 * the app would issue for `base` (sub, org, role, sid), so one changed field is the
 * only difference from a token that works.
 */
export async function mintAccessToken(
  base: { sub: string; org: string; role: string; sid: string },
  o: {
    secret?: string | Uint8Array;
    header?: Record<string, unknown>;
    iss?: string;
    aud?: string;
    iat?: number;
    nbf?: number;
    exp?: number;
    claims?: Record<string, unknown>;
  } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const iat = o.iat ?? now;
  const key = typeof o.secret === "string" || o.secret === undefined
    ? new TextEncoder().encode(o.secret ?? TEST_JWT_SECRET)
    : o.secret;
  return await new SignJWT({ org: base.org, role: base.role, sid: base.sid, ...o.claims })
    .setProtectedHeader({ alg: "HS256", typ: "at+jwt", ...o.header } as { alg: string })
    .setSubject(base.sub)
    .setIssuer(o.iss ?? TEST_ISSUER)
    .setAudience(o.aud ?? TEST_AUDIENCE)
    .setIssuedAt(iat)
    .setNotBefore(o.nbf ?? iat)
    .setExpirationTime(o.exp ?? iat + 900)
    .setJti(crypto.randomUUID())
    .sign(key);
}

/**
 * Runs `burst` (requests that count against a fixed-window rate limit, and the assertions on them) so that
 * its verdict comes from one window. Windows reset on their boundaries, and how long a burst takes depends
 * on the machine, so a burst that fails having crossed a boundary proved nothing (its hits were split
 * between two counters): it is run again, and `burst` must then use fresh identities (addresses, accounts)
 * made inside it. A failure within one window is the verdict. `expectMs` only saves most retries: when less
 * is left of the current window, the burst starts at the next one.
 */
export async function withinOneWindow<T>(
  windowMs: number,
  burst: () => Promise<T>,
  opts: { expectMs?: number; attempts?: number } = {},
): Promise<T> {
  const { expectMs = 8_000, attempts = 3 } = opts;
  for (let attempt = 1;; attempt++) {
    const left = windowMs - (Date.now() % windowMs);
    if (left < expectMs) await new Promise((r) => setTimeout(r, left + 50));
    const window = Math.floor(Date.now() / windowMs);
    try {
      return await burst();
    } catch (e) {
      if (Math.floor(Date.now() / windowMs) === window || attempt >= attempts) throw e;
    }
  }
}

/** Audit entries of the caller's organization, newest first. */
export async function auditLog(t: TestApp, admin: Member, query = ""): Promise<CallResult> {
  return await call(t, "GET", `/api/admin/audit-logs${query ? `?${query}` : ""}`, {
    token: admin.tokens.access_token,
    ip: admin.ip,
  });
}

export { GOOD_PASSWORD, json, uniqueEmail, uniqueIp };

// deno-lint-ignore no-explicit-any
type OpenApiOperation = { requestBody?: unknown; parameters?: { name: string; in: string; schema?: any }[] };

/**
 * The operations of the app's OpenAPI document under /api whose path parameters are all UUIDs
 * (ids of rows: the ones a tenant wall and the "malformed id → 400" rule are about).
 */
export function uuidPathOperations(
  doc: { paths: Record<string, Record<string, OpenApiOperation>> },
): { method: string; path: string; hasBody: boolean }[] {
  const out: { method: string; path: string; hasBody: boolean }[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith("/api/") || !path.includes("{")) continue;
    for (const [method, op] of Object.entries(item)) {
      const params = (op.parameters ?? []).filter((p) => p.in === "path");
      if (params.length && params.every((p) => p.schema?.format === "uuid")) {
        out.push({ method: method.toUpperCase(), path, hasBody: Boolean(op.requestBody) });
      }
    }
  }
  return out;
}

/** As if REFRESH_GRACE_MS had passed since `token` was rotated (instead of waiting). */
export async function pastGrace(t: TestApp, token: string) {
  await t.services.db().query(
    `UPDATE refresh_tokens SET rotated_at = rotated_at - make_interval(secs => $2::float8 / 1000)
      WHERE token_hash = $1`,
    [await sha256Hex(token), REFRESH_GRACE_MS + 1000],
  );
}

/** A body for PUT /api/admin/organizations/:id/quotas: every quota at the platform default but those given. */
export function quotaBody(own: Partial<Record<string, number | null>> = {}): Record<string, number | null> {
  return {
    api_requests_per_minute: null,
    api_requests_per_day: null,
    bids_per_day: null,
    assets: null,
    api_keys: null,
    ws_connections: null,
    ...own,
  };
}
