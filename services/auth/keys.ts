/**
 * The access-token keys: from JWT_SECRET or a key pair when configured;
 * otherwise a secret generated on first start and kept in Deno KV, so tokens
 * survive restarts (and every instance sharing the KV agrees). Warned once.
 */
import type { Config } from "../config/env.ts";
import { log } from "../log/logger.ts";
import { randomToken } from "./opaque.ts";
import { createJwtKeys, type JwtKeys } from "./jwt.ts";

const SECRET_KEY: Deno.KvKey = ["auth", "jwt_secret"];

export async function loadJwtKeys(config: Pick<Config, "jwt">, kv: Deno.Kv): Promise<JwtKeys> {
  const { jwt } = config;
  const common = { issuer: jwt.issuer, audience: jwt.audience };
  if (jwt.alg !== "HS256") {
    return await createJwtKeys({
      ...common,
      alg: jwt.alg,
      privateKeyPem: jwt.privateKeyPem,
      publicKeyPem: jwt.publicKeyPem,
    });
  }
  if (jwt.secret) return await createJwtKeys({ ...common, secret: jwt.secret });
  const existing = await kv.get<string>(SECRET_KEY);
  let secret = existing.value;
  if (!secret) {
    const candidate = randomToken("", 48);
    // Two instances starting together must agree on one secret: only the first write wins.
    const r = await kv.atomic().check({ key: SECRET_KEY, versionstamp: null }).set(SECRET_KEY, candidate).commit();
    secret = r.ok ? candidate : (await kv.get<string>(SECRET_KEY)).value!;
    if (r.ok) {
      log.warn(
        "JWT_SECRET is not set: generated a signing secret and stored it in Deno KV; set JWT_SECRET in production",
      );
    }
  }
  return await createJwtKeys({ ...common, secret });
}
