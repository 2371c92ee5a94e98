/**
 * TOTP (RFC 6238) second factor and one-time backup codes.
 *
 * Every `now` here is epoch milliseconds, like `Date.now()`.
 */
import { Secret, TOTP } from "otpauth";
import { sha256Hex } from "../crypto/sha256.ts";

// SHA1 / 6 digits / 30 s is the only combination every authenticator app honours; apps
// that ignore the URI parameters silently fall back to it and then never match.
const ALGORITHM = "SHA1";
const DIGITS = 6;
const PERIOD = 30;
const SECRET_BYTES = 20;
// RFC 4226 §4: the shared secret MUST be at least 128 bits.
const MIN_SECRET_BYTES = 16;
// Each extra step of window widens a guesser's odds by another 10^-6 per attempt.
const MAX_WINDOW = 10;

export const DEFAULT_ISSUER = "OptiBid";

function parseSecret(secret: string): Secret | null {
  if (typeof secret !== "string") return null;
  try {
    const parsed = Secret.fromBase32(secret);
    return parsed.buffer.byteLength >= MIN_SECRET_BYTES ? parsed : null;
  } catch {
    return null;
  }
}

function requireSecret(secret: string): Secret {
  const parsed = parseSecret(secret);
  if (!parsed) throw new TypeError(`TOTP secret must be base32 of at least ${MIN_SECRET_BYTES} bytes`);
  return parsed;
}

/** A fresh 160-bit secret, base32 (RFC 4648, no padding) as authenticator apps expect. */
export function generateTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** `otpauth://totp/...` enrolment URI for a QR code. */
export function totpUri(opts: { secret: string; account: string; issuer?: string }): string {
  const issuer = opts.issuer ?? DEFAULT_ISSUER;
  return new TOTP({
    issuer,
    label: opts.account,
    secret: requireSecret(opts.secret),
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD,
  }).toString();
}

/**
 * Check a code. Returns the absolute time step it matched (floor(unix seconds / 30) plus
 * the drift the window allowed), or null. The caller must store the last accepted step
 * and refuse a step ≤ it: a code stays valid for up to (2·window + 1)·30 s, and without
 * that check a shoulder-surfed or phished code can be replayed within the window.
 */
export function verifyTotp(secret: string, code: string, opts: { now?: number; window?: number } = {}): number | null {
  const window = opts.window ?? 1;
  if (!Number.isInteger(window) || window < 0 || window > MAX_WINDOW) {
    throw new RangeError(`window must be an integer from 0 to ${MAX_WINDOW}`);
  }
  if (typeof code !== "string") return null;
  // Apps display "123 456"; people paste it that way.
  const token = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(token)) return null;
  const key = parseSecret(secret);
  if (!key) return null;
  const timestamp = opts.now ?? Date.now();
  const delta = TOTP.validate({
    token,
    secret: key,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD,
    timestamp,
    window,
  });
  if (delta === null) return null;
  return TOTP.counter({ period: PERIOD, timestamp }) + delta;
}

/** The current code for a secret (tests, seeding, support tooling). */
export function totpCode(secret: string, now?: number): string {
  return TOTP.generate({
    secret: requireSecret(secret),
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD,
    timestamp: now ?? Date.now(),
  });
}

/** The text as a QR code in SVG, for inline rendering (no image request that could leak the secret). */
export async function qrSvg(text: string): Promise<string> {
  // Loaded on first use: only MFA setup draws QR codes.
  const { default: QRCode } = await import("qrcode");
  return await QRCode.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
}

// Lowercase letters and digits without 0/o, 1/l/i, which people misread when copying
// codes from paper.
const BACKUP_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";
const BACKUP_GROUP = 5;
const MAX_BACKUP_CODES = 100;

function randomChars(n: number): string {
  // Rejection sampling: 256 is not a multiple of 31, and a plain modulo would favour
  // the first few characters.
  const limit = 256 - (256 % BACKUP_ALPHABET.length);
  let out = "";
  while (out.length < n) {
    for (const b of crypto.getRandomValues(new Uint8Array(n * 2))) {
      if (b < limit && out.length < n) out += BACKUP_ALPHABET[b % BACKUP_ALPHABET.length];
    }
  }
  return out;
}

/** `n` distinct single-use codes `xxxxx-xxxxx` (~49 bits each), shown to the user once. */
export function generateBackupCodes(n = 10): string[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_BACKUP_CODES) {
    throw new RangeError(`n must be an integer from 1 to ${MAX_BACKUP_CODES}`);
  }
  const codes = new Set<string>();
  while (codes.size < n) {
    const raw = randomChars(BACKUP_GROUP * 2);
    codes.add(`${raw.slice(0, BACKUP_GROUP)}-${raw.slice(BACKUP_GROUP)}`);
  }
  return [...codes];
}

/** The form codes are compared in: what the user types may differ in case, spaces and dashes. */
export function normaliseBackupCode(code: string): string {
  return code.normalize("NFKC").toLowerCase().replace(/[\s-]+/g, "");
}

/**
 * SHA-256 hex of the normalised code. A slow salted hash would buy little: the codes are
 * ~49 random bits each, so there is no dictionary to precompute, and an unsalted digest
 * keeps "which code was used" a plain equality lookup.
 */
export async function hashBackupCode(code: string): Promise<string> {
  return await sha256Hex(normaliseBackupCode(code));
}
