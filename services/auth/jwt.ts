/**
 * Short-lived access tokens (RFC 9068 `at+jwt` profile) signed and checked with jose.
 *
 * Every `now` here is epoch milliseconds, like `Date.now()`; claims are in seconds.
 */
import {
  calculateJwkThumbprint,
  type CompactJWSHeaderParameters,
  errors,
  exportJWK,
  importJWK,
  importPKCS8,
  importSPKI,
  type JWK,
  jwtVerify,
  SignJWT,
} from "jose";
import { z } from "zod";

export const ROLES = ["admin", "trader", "analyst", "viewer"] as const;
export type Role = "admin" | "trader" | "analyst" | "viewer";

export interface AccessClaims {
  sub: string;
  org: string;
  role: Role;
  sid: string;
  iat: number;
  exp: number;
}

export type TokenErrorCode = "invalid_token" | "expired_token";

/** The only error `verifyAccessToken` throws; `code` maps to the RFC 6750 `error` value. */
export class TokenError extends Error {
  readonly code: TokenErrorCode;
  constructor(code: TokenErrorCode, message?: string, options?: ErrorOptions) {
    super(message ?? (code === "expired_token" ? "access token expired" : "invalid access token"), options);
    this.name = "TokenError";
    this.code = code;
  }
}

export type JwtAlg = "HS256" | "EdDSA" | "ES256";

export interface JwtKeys {
  readonly alg: JwtAlg;
  readonly issuer: string;
  readonly audience: string;
  /** kid written into new tokens. */
  readonly kid: string;
  /** Absent when only a public key was configured (verify-only service). */
  readonly signingKey?: CryptoKey;
  /** kid → key. A token's kid header is looked up here and nowhere else. */
  readonly verifyKeys: ReadonlyMap<string, CryptoKey>;
  /** Public JWK (with kid, alg, use) for a JWKS endpoint; absent for HS256. */
  readonly publicJwk?: JWK;
}

export interface CreateJwtKeysOptions {
  secret?: string;
  privateKeyPem?: string;
  publicKeyPem?: string;
  alg?: "EdDSA" | "ES256";
  issuer?: string;
  audience?: string;
}

export const DEFAULT_ISSUER = "optibid";
export const DEFAULT_AUDIENCE = "optibid-api";
export const ACCESS_TOKEN_TYP = "at+jwt";
export const DEFAULT_TTL_SECONDS = 900;
/** Upper bound on ttl at signing, and on token age at verification. */
export const MAX_TTL_SECONDS = 86_400;
const CLOCK_TOLERANCE_SECONDS = 5;
const MIN_SECRET_BYTES = 32;
// Ours are ~400 bytes; the cap keeps a hostile header from costing a big base64/JSON parse.
const MAX_TOKEN_LENGTH = 8192;

const encoder = new TextEncoder();

function b64url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function hmacKeys(secret: string): Promise<{ key: CryptoKey; kid: string }> {
  const raw = encoder.encode(secret);
  // HS256 with a short secret is brute-forceable offline from any single token.
  if (raw.byteLength < MIN_SECRET_BYTES) {
    throw new RangeError(`JWT secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  // Non-extractable, so logging or serialising the keys object cannot print the secret.
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  // Derived with the key itself so the kid names the secret without being a plain hash of it.
  const kid = `hs-${b64url(await crypto.subtle.sign("HMAC", key, encoder.encode("optibid-jwt-kid"))).slice(0, 16)}`;
  return { key, kid };
}

async function asymmetricKeys(
  alg: "EdDSA" | "ES256",
  privateKeyPem: string | undefined,
  publicKeyPem: string | undefined,
): Promise<{ signingKey?: CryptoKey; publicKey: CryptoKey; publicJwk: JWK }> {
  let publicJwk: JWK;
  if (publicKeyPem !== undefined) {
    publicJwk = await exportJWK(await importSPKI(publicKeyPem, alg, { extractable: true }));
  } else {
    // Derive the public half so a deployment only has to carry the private PEM. The
    // extractable copy lives only inside this function.
    const { d: _d, ...pub } = await exportJWK(await importPKCS8(privateKeyPem!, alg, { extractable: true }));
    publicJwk = pub;
  }
  const publicKey = await importJWK(publicJwk, alg);
  if (!(publicKey instanceof CryptoKey)) throw new TypeError("expected an asymmetric public key");
  const signingKey = privateKeyPem === undefined ? undefined : await importPKCS8(privateKeyPem, alg);

  if (signingKey && publicKeyPem !== undefined) {
    // A mismatched pair would sign tokens that this same process then rejects: fail at boot.
    const probe = await new SignJWT({}).setProtectedHeader({ alg }).sign(signingKey);
    await jwtVerify(probe, publicKey, { algorithms: [alg] }).catch(() => {
      throw new TypeError("JWT privateKeyPem and publicKeyPem are not a key pair");
    });
  }
  return { signingKey, publicKey, publicJwk };
}

/**
 * Build signing/verification keys. `secret` → HS256 (≥ 32 bytes); otherwise PEM keys
 * (PKCS#8 private and/or SPKI public) for `alg` (default EdDSA). Only the configured
 * algorithm is ever accepted, whatever a token's header says.
 */
export async function createJwtKeys(opts: CreateJwtKeysOptions): Promise<JwtKeys> {
  const issuer = opts.issuer ?? DEFAULT_ISSUER;
  const audience = opts.audience ?? DEFAULT_AUDIENCE;
  if (!issuer || !audience) throw new TypeError("JWT issuer and audience must be non-empty");
  const hasPem = opts.privateKeyPem !== undefined || opts.publicKeyPem !== undefined;

  if (opts.secret !== undefined) {
    // Refuse mixed configs rather than guess which one was meant: guessing wrong here is
    // how HS/RS confusion bugs start.
    if (hasPem || opts.alg !== undefined) throw new TypeError("JWT secret cannot be combined with PEM keys or alg");
    const { key, kid } = await hmacKeys(opts.secret);
    return { alg: "HS256", issuer, audience, kid, signingKey: key, verifyKeys: new Map([[kid, key]]) };
  }
  if (!hasPem) throw new TypeError("createJwtKeys needs a secret or PEM keys");

  const alg = opts.alg ?? "EdDSA";
  if (alg !== "EdDSA" && alg !== "ES256") throw new TypeError(`unsupported JWT alg ${String(alg)}`);
  const { signingKey, publicKey, publicJwk } = await asymmetricKeys(alg, opts.privateKeyPem, opts.publicKeyPem);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    alg,
    issuer,
    audience,
    kid,
    signingKey,
    verifyKeys: new Map([[kid, publicKey]]),
    publicJwk: { ...publicJwk, kid, alg, use: "sig" },
  };
}

const id = z.string().min(1).max(255);
/**
 * Users, organizations and sessions are keyed by UUID columns: a correctly signed token with any other
 * `sub`, `org` or `sid` (a bug, a key shared with another issuer) is refused here, before a query would
 * fail on it.
 */
const rowId = z.uuid();

const signClaimsSchema = z.object({ sub: rowId, org: rowId, role: z.enum(ROLES), sid: rowId });

const payloadSchema = z.object({
  iss: z.string(),
  aud: z.string(),
  sub: rowId,
  org: rowId,
  role: z.enum(ROLES),
  sid: rowId,
  jti: id,
  iat: z.int(),
  nbf: z.int(),
  exp: z.int(),
}).refine((p) => p.exp > p.iat && p.nbf <= p.exp, "inconsistent time claims");

export async function signAccessToken(
  keys: JwtKeys,
  claims: { sub: string; org: string; role: Role; sid: string },
  opts: { ttlSeconds?: number; now?: number } = {},
): Promise<string> {
  if (!keys.signingKey) throw new TypeError("these JWT keys are verify-only (no private key configured)");
  const ttl = opts.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
    throw new RangeError(`ttlSeconds must be an integer from 1 to ${MAX_TTL_SECONDS}`);
  }
  // Only these four are copied, so a caller passing a whole user row cannot leak fields into the token.
  const { sub, org, role, sid } = signClaimsSchema.parse(claims);
  const iat = Math.floor((opts.now ?? Date.now()) / 1000);
  return await new SignJWT({ org, role, sid })
    .setProtectedHeader({ alg: keys.alg, typ: ACCESS_TOKEN_TYP, kid: keys.kid })
    .setSubject(sub)
    .setIssuer(keys.issuer)
    .setAudience(keys.audience)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + ttl)
    .setJti(crypto.randomUUID())
    .sign(keys.signingKey);
}

function resolveKey(keys: JwtKeys, header: CompactJWSHeaderParameters): CryptoKey {
  // Never build a key from header contents (jwk, jku, x5u, x5c) and never fall back to
  // "try every key": the kid is only a lookup into what we configured.
  const kid = header.kid ?? keys.kid;
  const key = keys.verifyKeys.get(kid);
  if (!key) throw new TokenError("invalid_token", "unknown kid");
  return key;
}

/**
 * Verify an access token and return its claims. Throws `TokenError` only:
 * `expired_token` when a correctly signed token is past exp (or older than the maximum
 * lifetime), `invalid_token` for everything else.
 */
export async function verifyAccessToken(
  keys: JwtKeys,
  token: string,
  opts: { now?: number } = {},
): Promise<AccessClaims> {
  if (typeof token !== "string" || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new TokenError("invalid_token");
  }
  let verified;
  try {
    verified = await jwtVerify(token, (header) => resolveKey(keys, header), {
      // The allow-list is what stops alg=none and HS256-signed-with-the-public-key tokens.
      algorithms: [keys.alg],
      issuer: keys.issuer,
      audience: keys.audience,
      typ: ACCESS_TOKEN_TYP,
      requiredClaims: ["sub", "iat", "nbf", "exp", "jti"],
      maxTokenAge: MAX_TTL_SECONDS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(opts.now ?? Date.now()),
    });
  } catch (err) {
    // jose checks the signature before any claim, so "expired" is only ever said of a
    // token we really issued.
    throw new TokenError(err instanceof errors.JWTExpired ? "expired_token" : "invalid_token", undefined, {
      cause: err,
    });
  }
  // jose also accepts "application/at+jwt"; we only ever write the short form, and an
  // exact match leaves no room for ID tokens, refresh tokens or API keys minted elsewhere.
  if (verified.protectedHeader.typ !== ACCESS_TOKEN_TYP) throw new TokenError("invalid_token", "wrong typ");
  const parsed = payloadSchema.safeParse(verified.payload);
  if (!parsed.success) throw new TokenError("invalid_token", "malformed claims");
  const { sub, org, role, sid, iat, exp } = parsed.data;
  return { sub, org, role, sid, iat, exp };
}
