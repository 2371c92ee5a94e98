/** Opaque secrets (refresh tokens, API keys, invitations): random, shown once, stored as SHA-256. */
import { base64url } from "jose";

export function randomToken(prefix: string, bytes = 32): string {
  return prefix + base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** These secrets carry 256 bits of entropy, so a fast hash is enough (no dictionary to attack). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
