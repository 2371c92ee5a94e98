/**
 * Password hashing: argon2id (hash-wasm) with the OWASP minimum parameters,
 * stored as PHC strings so parameters can be raised later without a migration
 * (see `needsRehash`).
 */
// Loaded with the first password to hash or check, not at start-up: the module carries every
// algorithm's WASM inline and parsing it is time a start does not need to spend.
const hashWasm = () => import("hash-wasm");

/** OWASP Password Storage Cheat Sheet, argon2id option 1 (19 MiB, t=2, p=1). */
export const ARGON2_PARAMS = {
  memorySize: 19456,
  iterations: 2,
  parallelism: 1,
  hashLength: 32,
  saltLength: 16,
} as const;

// Far above any real password (PASSWORD_MAX is 128 code points), so it never rejects
// a legitimate one; it only stops a multi-megabyte body from being fed to argon2.
const MAX_INPUT_UNITS = 1024;

// A stored hash decides how much work verification does. Only our own writer fills that
// column, but a corrupted or injected row must not be able to pin the CPU or allocate
// gigabytes, so anything outside these bounds is treated as malformed.
const LIMITS = { maxMemory: 262_144, maxIterations: 16, maxParallelism: 16 } as const;

// Only argon2id: hash-wasm would also verify argon2i/argon2d, which we never write, so
// accepting them would just widen what a tampered row could downgrade to.
const PHC_RE =
  /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,64})\$([A-Za-z0-9+/]{22,128})$/;

/**
 * A real argon2id hash (current parameters) of 32 random bytes nobody kept. Verifying
 * against it costs exactly what verifying a real user's hash costs.
 */
export const DUMMY_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$bLsD7nDiUw0HAlKpCKXS3Q$FzSLhmA2oM+LjlF0Ngq5OZSrXlNxszFT+HAE9UeVkm4";

// NIST SP 800-63B asks for Unicode normalisation: the same password typed on macOS and
// Windows can arrive as different code points (e.g. precomposed vs combining accents).
function normalise(password: string): string {
  return password.normalize("NFKC");
}

interface ParsedHash {
  memorySize: number;
  iterations: number;
  parallelism: number;
}

function parseStored(stored: unknown): ParsedHash | null {
  if (typeof stored !== "string") return null;
  const m = PHC_RE.exec(stored);
  if (!m) return null;
  const memorySize = Number(m[1]);
  const iterations = Number(m[2]);
  const parallelism = Number(m[3]);
  if (iterations < 1 || iterations > LIMITS.maxIterations) return null;
  if (parallelism < 1 || parallelism > LIMITS.maxParallelism) return null;
  if (memorySize < 8 * parallelism || memorySize > LIMITS.maxMemory) return null;
  return { memorySize, iterations, parallelism };
}

/** Hash a password for storage. Returns `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`. */
export async function hashPassword(password: string): Promise<string> {
  if (typeof password !== "string" || password.length === 0) {
    throw new TypeError("password must be a non-empty string");
  }
  if (password.length > MAX_INPUT_UNITS) throw new RangeError("password is too long to hash");
  const { argon2id } = await hashWasm();
  return await argon2id({
    password: normalise(password),
    salt: crypto.getRandomValues(new Uint8Array(ARGON2_PARAMS.saltLength)),
    memorySize: ARGON2_PARAMS.memorySize,
    iterations: ARGON2_PARAMS.iterations,
    parallelism: ARGON2_PARAMS.parallelism,
    hashLength: ARGON2_PARAMS.hashLength,
    outputType: "encoded",
  });
}

/**
 * Check a password against a stored PHC string. Never throws: a malformed, foreign or
 * out-of-bounds stored value is simply `false`, so a bad row cannot turn a login into a 500.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (typeof password !== "string" || password.length === 0 || password.length > MAX_INPUT_UNITS) return false;
  if (!parseStored(stored)) return false;
  try {
    const { argon2Verify } = await hashWasm();
    return await argon2Verify({ password: normalise(password), hash: stored });
  } catch {
    return false;
  }
}

/**
 * For a login with an unknown email: spend the same time as `verifyPassword` against a
 * real account, so response timing does not reveal which emails are registered.
 * Inputs `verifyPassword` rejects without hashing (empty, oversized) are rejected here
 * just as fast, so those paths do not differ either.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(password, DUMMY_HASH);
  return false;
}

/**
 * True when a stored hash verifies but was made with other parameters than today's
 * (or is unusable): after a successful login, re-hash and store the new value.
 */
export function needsRehash(stored: string): boolean {
  const parsed = parseStored(stored);
  if (!parsed) return true;
  const hashBytes = Math.floor((stored.slice(stored.lastIndexOf("$") + 1).length * 3) / 4);
  return parsed.memorySize !== ARGON2_PARAMS.memorySize ||
    parsed.iterations !== ARGON2_PARAMS.iterations ||
    parsed.parallelism !== ARGON2_PARAMS.parallelism ||
    hashBytes !== ARGON2_PARAMS.hashLength;
}
