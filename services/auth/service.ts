/** The auth capability wired to the app's services: one object the routes and middleware use. */
import type { Config } from "../config/env.ts";
import type { Database } from "../../db/database.ts";
import type { Redis } from "ioredis";
import { createAccounts } from "./accounts.ts";
import type { JwtKeys } from "./jwt.ts";
import { loadJwtKeys } from "./keys.ts";
import { createOrganization } from "./organization.ts";
import { createProfile } from "./profile.ts";
import { API_KEY_PREFIX, principalFromApiKey, principalFromClaims, type Resolved } from "./principal.ts";
import { createRateLimiter } from "./rate_limit.ts";
import { PrincipalCache } from "./principal_cache.ts";
import { sha256Hex } from "../crypto/sha256.ts";
import { type AccessClaims, TokenError, verifyAccessToken } from "./jwt.ts";

export interface AuthDeps {
  config: Pick<Config, "jwt" | "redisKeyPrefix" | "accessTokenTtlS">;
  db: () => Database;
  kv: () => Deno.Kv;
  redis: () => Redis | null;
  /** Tells the other instances that something cached here is stale (the admin signal's "auth" topic). */
  notify?: () => void;
  /** REFRESH_GRACE_MS unless given (tests, or a deployment that wants another window). */
  refreshGraceMs?: number;
}

export function createAuth(deps: AuthDeps) {
  let keys: Promise<JwtKeys> | undefined;
  const getKeys = () => {
    keys ??= loadJwtKeys(deps.config, deps.kv()).catch((e) => {
      keys = undefined;
      throw e;
    });
    return keys;
  };
  /**
   * Tokens whose signature and claims were checked, until their expiry: a token's
   * signature cannot change, so repeating the HMAC for every request of a session
   * (the cost of an authenticated page once the rest is cached) buys nothing.
   */
  const verified = new Map<string, { claims: AccessClaims; key: string }>();

  const principals = new PrincipalCache();
  /**
   * Committed here: this instance forgets what it cached at once, the others when the signal reaches them.
   * A profile change (name, preferences, MFA) bumps the same epoch: rare, and one epoch keeps it simple.
   */
  const changed = () => {
    forget();
    deps.notify?.();
  };
  const profile = createProfile({ db: deps.db, changed });
  const forget = () => {
    principals.bump();
    profile.forget();
  };
  const limiter = createRateLimiter({ kv: deps.kv, redis: deps.redis, prefix: deps.config.redisKeyPrefix });
  return {
    keys: getKeys,
    limiter,
    principals,
    accounts: createAccounts({
      db: deps.db,
      keys: getKeys,
      limiter,
      changed,
      accessTtlS: deps.config.accessTokenTtlS,
      refreshGraceMs: deps.refreshGraceMs,
    }),
    org: createOrganization({ db: deps.db, changed }),
    profile,
    /** Another instance changed who may do what (the admin signal): forget, without signalling again. */
    forgetCached: forget,
    /** A Bearer value: an API key by its prefix, else an access token. */
    async fromBearer(value: string): Promise<Resolved> {
      if (value.startsWith(API_KEY_PREFIX)) {
        return await cached(`key:${await sha256Hex(value)}`, () => principalFromApiKey(deps.db(), value));
      }
      return await fromAccessToken(value, "bearer");
    },
    fromCookie: (token: string) => fromAccessToken(token, "cookie"),
  };

  /** The signature and expiry are checked on every request; only the database's answer is cached. */
  async function fromAccessToken(token: string, via: "bearer" | "cookie"): Promise<Resolved> {
    let entry = verified.get(token);
    if (entry && entry.claims.exp * 1000 <= Date.now()) {
      verified.delete(token);
      entry = undefined;
    }
    if (entry) {
      // A session's every request after its first: its principal cached, found without the cache's loader.
      const principal = principals.get(entry.key);
      if (principal) return { ok: true, principal: { ...principal, via } };
    } else {
      let claims: AccessClaims;
      try {
        claims = await verifyAccessToken(await getKeys(), token);
      } catch (e) {
        if (e instanceof TokenError) return { ok: false, code: e.code };
        throw e;
      }
      if (verified.size >= 10_000) verified.clear();
      entry = { claims, key: `at:${claims.sub}:${claims.org}:${claims.sid}:${claims.iat}` };
      verified.set(token, entry);
    }
    const { claims } = entry;
    const r = await cached(entry.key, () => principalFromClaims(deps.db(), claims, "bearer"));
    return r.ok ? { ok: true, principal: { ...r.principal, via } } : r;
  }

  function cached(key: string, resolve: () => Promise<Resolved>): Promise<Resolved> {
    return principals.through<Resolved>(
      key,
      async () => {
        const r = await resolve();
        return r.ok ? { result: r, value: r.principal, notAfter: r.notAfter } : { result: r };
      },
      (principal) => ({ ok: true, principal }),
    );
  }
}

export type AuthService = ReturnType<typeof createAuth>;
