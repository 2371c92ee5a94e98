/**
 * Opaque secrets (refresh tokens, API keys, invitations): random, shown once, stored as SHA-256 hex
 * (services/crypto/sha256.ts). They carry 256 bits of entropy, so a fast hash is enough: there is no
 * dictionary to attack, and a lookup by hash stays a plain equality.
 */
import { base64url } from "jose";

export function randomToken(prefix: string, bytes = 32): string {
  return prefix + base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)));
}
