/** The auth capability wired to the app's services: one object the routes and middleware use. */
import type { Config } from "../config/env.ts";
import type { Database } from "../../db/database.ts";
import type { Redis } from "ioredis";
import { createAccounts } from "./accounts.ts";
import type { JwtKeys } from "./jwt.ts";
import { loadJwtKeys } from "./keys.ts";
import { createOrganization } from "./organization.ts";
import { API_KEY_PREFIX, principalFromAccessToken, principalFromApiKey, type Resolved } from "./principal.ts";
import { createRateLimiter } from "./rate_limit.ts";

export interface AuthDeps {
  config: Pick<Config, "jwt" | "redisKeyPrefix">;
  db: () => Database;
  kv: () => Deno.Kv;
  redis: () => Redis | null;
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
  const limiter = createRateLimiter({ kv: deps.kv, redis: deps.redis, prefix: deps.config.redisKeyPrefix });
  return {
    keys: getKeys,
    limiter,
    accounts: createAccounts({ db: deps.db, keys: getKeys, limiter }),
    org: createOrganization({ db: deps.db }),
    /** A Bearer value: an API key by its prefix, else an access token. */
    async fromBearer(value: string): Promise<Resolved> {
      if (value.startsWith(API_KEY_PREFIX)) return await principalFromApiKey(deps.db(), value);
      return await principalFromAccessToken(deps.db(), await getKeys(), value, "bearer");
    },
    async fromCookie(token: string): Promise<Resolved> {
      return await principalFromAccessToken(deps.db(), await getKeys(), token, "cookie");
    },
  };
}

export type AuthService = ReturnType<typeof createAuth>;
