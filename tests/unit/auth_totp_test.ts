import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Secret, TOTP, URI } from "otpauth";
import {
  generateBackupCodes,
  generateTotpSecret,
  hashBackupCode,
  normaliseBackupCode,
  qrSvg,
  totpCode,
  totpUri,
  verifyTotp,
} from "../../services/auth/totp.ts";

// RFC 6238 appendix B: the SHA1 seed "12345678901234567890", 8-digit codes. The 6-digit
// code is the last six digits of the same truncation.
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const RFC_VECTORS: [seconds: number, code8: string][] = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
];

const T = 1_767_225_600_000; // 2026-01-01T00:00:00Z, a step boundary
const STEP = T / 1000 / 30;

Deno.test("totp: codes match the RFC 6238 test vectors", () => {
  for (const [seconds, code8] of RFC_VECTORS) {
    const code = code8.slice(-6);
    assert.equal(totpCode(RFC_SECRET, seconds * 1000), code, `t=${seconds}`);
    assert.equal(verifyTotp(RFC_SECRET, code, { now: seconds * 1000 }), Math.floor(seconds / 30));
  }
});

Deno.test("totp: a code verifies at a fixed time and returns its absolute step", () => {
  const secret = generateTotpSecret();
  const code = totpCode(secret, T + 10_000);
  assert.equal(verifyTotp(secret, code, { now: T + 10_000 }), STEP);
  assert.equal(verifyTotp(secret, code, { now: T + 29_999 }), STEP, "same step, later in it");
});

Deno.test("totp: the adjacent steps are accepted with window 1 and report their own step", () => {
  const secret = generateTotpSecret();
  const previous = totpCode(secret, T - 30_000);
  const next = totpCode(secret, T + 30_000);
  const twoAgo = totpCode(secret, T - 60_000);
  assert.equal(verifyTotp(secret, previous, { now: T }), STEP - 1);
  assert.equal(verifyTotp(secret, next, { now: T }), STEP + 1);
  assert.equal(verifyTotp(secret, twoAgo, { now: T }), null, "two steps back is outside window 1");
  assert.equal(verifyTotp(secret, twoAgo, { now: T, window: 2 }), STEP - 2);
  assert.equal(verifyTotp(secret, previous, { now: T, window: 0 }), null, "window 0 is the current step only");
  assert.equal(verifyTotp(secret, totpCode(secret, T), { now: T, window: 0 }), STEP);
});

Deno.test("totp: the same code used twice reports the same step, so the caller can refuse the replay", () => {
  const secret = generateTotpSecret();
  const code = totpCode(secret, T);
  const first = verifyTotp(secret, code, { now: T + 1_000 });
  const replay = verifyTotp(secret, code, { now: T + 25_000 });
  const lateReplay = verifyTotp(secret, code, { now: T + 45_000 });
  assert.equal(first, STEP);
  assert.equal(replay, first);
  assert.equal(lateReplay, first, "still inside the window one step later, and still the same step");
});

Deno.test("totp: wrong and malformed codes are null", () => {
  const secret = generateTotpSecret();
  const good = totpCode(secret, T);
  const wrong = String((Number(good) + 1) % 1_000_000).padStart(6, "0");
  const cases = [wrong, "", "12345", "1234567", "abcdef", "12345a", "-12345", "１２３４５６", `${good}0`, ` ${good}x`];
  for (const code of cases) assert.equal(verifyTotp(secret, code, { now: T }), null, JSON.stringify(code));
  assert.equal(verifyTotp(secret, null as unknown as string, { now: T }), null);
  assert.equal(verifyTotp(secret, 123456 as unknown as string, { now: T }), null);
});

Deno.test("totp: spaces inside a pasted code are ignored", () => {
  const secret = generateTotpSecret();
  const code = totpCode(secret, T);
  assert.equal(verifyTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, { now: T }), STEP);
  assert.equal(verifyTotp(secret, ` ${code}\n`, { now: T }), STEP);
});

Deno.test("totp: bad secrets are null on verify and an error on generate", () => {
  const code = totpCode(RFC_SECRET, T);
  // "JBSWY3DPEHPK3PXP" is the usual 80-bit doc example: below the RFC 4226 minimum.
  for (const secret of ["", "not base32!", "JBSWY3DPEHPK3PXP", "GEZDGNBVGY3TQOJQ0189"]) {
    assert.equal(verifyTotp(secret, code, { now: T }), null, secret);
    assert.throws(() => totpCode(secret, T), TypeError);
    assert.throws(() => totpUri({ secret, account: "a@b.c" }), TypeError);
  }
  assert.equal(verifyTotp(RFC_SECRET.toLowerCase(), code, { now: T }), STEP, "base32 is case-insensitive");
});

Deno.test("totp: out-of-range windows are a programming error", () => {
  for (const window of [-1, 1.5, 11, Number.NaN]) {
    assert.throws(() => verifyTotp(RFC_SECRET, "123456", { now: T, window }), RangeError);
  }
});

Deno.test("totp: secrets are 20 random bytes in unpadded base32", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const s = generateTotpSecret();
    assert.match(s, /^[A-Z2-7]{32}$/);
    assert.equal(Secret.fromBase32(s).buffer.byteLength, 20);
    seen.add(s);
  }
  assert.equal(seen.size, 50);
});

Deno.test("totp: the enrolment URI carries issuer, account and the fixed algorithm", () => {
  const secret = generateTotpSecret();
  const uri = totpUri({ secret, account: "alice@acme-energy.com" });
  const u = new URL(uri);
  assert.equal(u.protocol, "otpauth:");
  assert.equal(u.host, "totp");
  assert.equal(decodeURIComponent(u.pathname), "/OptiBid:alice@acme-energy.com");
  assert.equal(u.searchParams.get("issuer"), "OptiBid");
  assert.equal(u.searchParams.get("secret"), secret);
  assert.equal(u.searchParams.get("algorithm"), "SHA1");
  assert.equal(u.searchParams.get("digits"), "6");
  assert.equal(u.searchParams.get("period"), "30");

  const parsed = URI.parse(uri);
  assert.ok(parsed instanceof TOTP);
  assert.equal(parsed.generate({ timestamp: T }), totpCode(secret, T), "an app reading the URI makes our codes");

  const custom = new URL(totpUri({ secret, account: "bob", issuer: "OptiBid Staging" }));
  assert.equal(custom.searchParams.get("issuer"), "OptiBid Staging");
});

Deno.test("totp: the QR code is an SVG document", async () => {
  const svg = await qrSvg(totpUri({ secret: generateTotpSecret(), account: "alice@acme-energy.com" }));
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*viewBox="0 0 \d+ \d+"/);
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  assert.ok(!svg.includes("<script"));
});

const BACKUP = /^[23456789abcdefghjkmnpqrstuvwxyz]{5}-[23456789abcdefghjkmnpqrstuvwxyz]{5}$/;

Deno.test("backup codes: ten by default, xxxxx-xxxxx, no ambiguous characters", () => {
  const codes = generateBackupCodes();
  assert.equal(codes.length, 10);
  for (const c of codes) {
    assert.match(c, BACKUP);
    assert.doesNotMatch(c, /[01ilo]/);
  }
  assert.equal(generateBackupCodes(3).length, 3);
  assert.throws(() => generateBackupCodes(0), RangeError);
  assert.throws(() => generateBackupCodes(1.5), RangeError);
  assert.throws(() => generateBackupCodes(1000), RangeError);
});

Deno.test("backup codes: unique within a set and across many sets, using the whole alphabet", () => {
  const all = new Set<string>();
  const chars = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const set = generateBackupCodes(10);
    assert.equal(new Set(set).size, 10);
    for (const c of set) {
      all.add(c);
      for (const ch of c.replace("-", "")) chars.add(ch);
    }
  }
  assert.equal(all.size, 1000);
  assert.equal(chars.size, 31, "every alphabet character shows up in 10 000 draws");
});

Deno.test("backup codes: the hash is SHA-256 hex of the normalised code", async () => {
  const code = "abcde-fghjk";
  const expected = createHash("sha256").update("abcdefghjk").digest("hex");
  assert.equal(normaliseBackupCode(code), "abcdefghjk");
  for (const typed of [code, "ABCDE-FGHJK", "abcde fghjk", " abcdefghjk ", "AbCdE - FgHjK", "abc-de-fg-hjk"]) {
    assert.equal(await hashBackupCode(typed), expected, JSON.stringify(typed));
  }
  assert.match(expected, /^[0-9a-f]{64}$/);
  assert.notEqual(await hashBackupCode("abcde-fghjm"), expected);
});
