/**
 * SHA-256 as lowercase hex: the one digest helper of the project (opaque secrets, backup codes,
 * idempotency and dedupe keys, migration checksums, content-hashed build assets). Web Crypto only and no
 * imports, so anything may use it: services, db/, the build, a browser bundle.
 */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
