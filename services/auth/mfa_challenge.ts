/**
 * "This password was right a moment ago": what the sign-in form carries to its
 * code step instead of the password itself. Signed with the app's JWT keys but
 * with its own `typ` and audience, so it can never pass as an access token; it
 * names the password hash it was issued against, so a password change voids it.
 */
import { jwtVerify, SignJWT } from "jose";
import type { JwtKeys } from "./jwt.ts";
import { sha256Hex } from "../crypto/sha256.ts";

export const MFA_CHALLENGE_TTL_S = 300;
const TYP = "mfa-challenge+jwt";

const audienceOf = (keys: JwtKeys) => `${keys.audience}:mfa-challenge`;
/** A fingerprint, not the hash: the token is readable by its holder. */
const fingerprint = async (passwordHash: string) => (await sha256Hex(`mfa-challenge:${passwordHash}`)).slice(0, 32);

export async function signMfaChallenge(keys: JwtKeys, userId: string, passwordHash: string): Promise<string> {
  if (!keys.signingKey) throw new Error("no signing key configured");
  return await new SignJWT({ pwf: await fingerprint(passwordHash) })
    .setProtectedHeader({ alg: keys.alg, typ: TYP, kid: keys.kid })
    .setIssuer(keys.issuer)
    .setAudience(audienceOf(keys))
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(`${MFA_CHALLENGE_TTL_S}s`)
    .sign(keys.signingKey);
}

/** True when `token` was issued by us, lately, for this user and this password. */
export async function verifyMfaChallenge(
  keys: JwtKeys,
  token: string,
  user: { id: string; password_hash: string },
): Promise<boolean> {
  if (token.length > 2048) return false;
  try {
    const { payload, protectedHeader } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid ? keys.verifyKeys.get(header.kid) : undefined;
        if (!key) throw new Error("unknown kid");
        return key;
      },
      { algorithms: [keys.alg], issuer: keys.issuer, audience: audienceOf(keys), typ: TYP },
    );
    return protectedHeader.typ === TYP && payload.sub === user.id &&
      payload.pwf === await fingerprint(user.password_hash);
  } catch {
    return false;
  }
}
