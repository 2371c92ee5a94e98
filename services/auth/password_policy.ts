/**
 * Password policy (NIST SP 800-63B style): length bounds plus a zxcvbn strength
 * estimate, instead of composition rules that push people towards "Password1!".
 */
import type { ZxcvbnFactory, ZxcvbnResult } from "@zxcvbn-ts/core";

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

/** zxcvbn score 3 = "safely unguessable": about 10^8 guesses or more. */
export const MIN_SCORE = 3;

export type PasswordCheck = { ok: true; score: number } | { ok: false; reason: string; score: number };

// NIST asks to refuse context-specific words such as the service's own name. The rest are
// passphrases that are long and "random-looking" to zxcvbn but sit in every cracking
// list because they were published as examples of good passwords.
const CONTEXT_WORDS = [
  "optibid",
  "correcthorsebatterystaple",
  "correcthorse",
  "batterystaple",
  "troubador",
  "tr0ub4dor",
];

// zxcvbn's cost grows steeply with length and with characters that have l33t readings;
// a 128-character symbol soup took ~0.5 s with the defaults, on the event loop. Scoring
// only a prefix stays conservative (the rest can only add guesses), and 20 substitutions
// still covers any realistic l33t spelling.
const ZXCVBN_OPTIONS = { maxLength: 64, l33tMaxSubstitutions: 20 } as const;

// Tokens shorter than this are too common as ordinary fragments ("al", "co") to treat a
// password containing them as personal.
const MIN_TOKEN = 3;

let instance: ZxcvbnFactory | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads and ranks the dictionaries (~100 ms to import, ~200 ms to rank): not at
 * start-up, where every route module imports this file, but before the first
 * check. `checkPassword` needs it done; callers await this first (it is cheap
 * once loaded), and the server warms it up in the background after it listens.
 */
export function loadPasswordPolicy(): Promise<void> {
  loading ??= (async () => {
    const [{ ZxcvbnFactory }, common, en] = await Promise.all([
      import("@zxcvbn-ts/core"),
      import("@zxcvbn-ts/language-common"),
      import("@zxcvbn-ts/language-en"),
    ]);
    instance = new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary, context: CONTEXT_WORDS },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
      ...ZXCVBN_OPTIONS,
    });
  })();
  return loading;
}

function zxcvbn(): ZxcvbnFactory {
  if (!instance) throw new Error("password policy not loaded: await loadPasswordPolicy() first");
  return instance;
}

function squash(s: string): string {
  return s.normalize("NFKC").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
}

// zxcvbn only matches a user input as one whole dictionary word, so "alice.smith@acme.com"
// alone would not catch "AliceSmith2024!". Feed it the pieces people actually reuse.
function personalTokens(userInputs: readonly string[]): string[] {
  const out = new Set<string>();
  const add = (s: string) => {
    const t = squash(s);
    if ([...t].length >= MIN_TOKEN) out.add(t);
  };
  for (const input of userInputs) {
    if (typeof input !== "string") continue;
    const lower = input.normalize("NFKC").toLowerCase().trim();
    add(lower);
    const at = lower.lastIndexOf("@");
    if (at > 0) {
      add(lower.slice(0, at));
      const domain = lower.slice(at + 1);
      add(domain.split(".")[0] ?? "");
      add(domain.slice(0, domain.lastIndexOf(".")));
    }
    for (const part of lower.split(/[^\p{L}\p{N}]+/u)) add(part);
  }
  return [...out];
}

// Common l33t readings, so "0pt1b1d" or "4l1c3" count as the word they spell. "1" is
// tried as both "i" and "l".
const LEET: Record<string, string> = {
  "0": "o",
  "3": "e",
  "4": "a",
  "@": "a",
  "5": "s",
  "$": "s",
  "7": "t",
  "+": "t",
  "!": "i",
  "|": "l",
};

function spellings(password: string): string[] {
  const unleet = (one: string) =>
    squash(password.toLowerCase().replace(/[0-9@$+!|]/g, (c) => c === "1" ? one : LEET[c] ?? c));
  return [...new Set([squash(password), unleet("i"), unleet("l")])];
}

// What is left of a squashed spelling once every personal or context token is cut out;
// null when none occurs. Longest first, so "alicesmith" goes before "alice" leaves "smith".
function withoutTokens(spelling: string, tokens: readonly string[]): string | null {
  let rest = spelling;
  for (const token of [...tokens].sort((a, b) => b.length - a.length)) {
    rest = rest.split(token).join("");
  }
  return rest === spelling ? null : rest;
}

function guessableReason(result: ZxcvbnResult): string {
  const parts = ["Password is too easy to guess."];
  if (result.feedback.warning) parts.push(result.feedback.warning);
  parts.push(...result.feedback.suggestions);
  if (parts.length === 1) parts.push("Add more words that are less common.");
  return parts.join(" ");
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Decide whether a new password is acceptable. `userInputs` are things an attacker
 * targeting this user would try first: email, display name, organisation name.
 */
export function checkPassword(password: string, userInputs: string[] = []): PasswordCheck {
  if (typeof password !== "string") return { ok: false, reason: "Password must be text.", score: 0 };
  // Same normalisation as password.ts applies before hashing, so the length we enforce is
  // the length of what is stored.
  const normalised = password.normalize("NFKC");
  const length = codePoints(normalised);
  if (length < PASSWORD_MIN) {
    return { ok: false, reason: `Password must be at least ${PASSWORD_MIN} characters long.`, score: 0 };
  }
  if (length > PASSWORD_MAX) {
    return { ok: false, reason: `Password must be at most ${PASSWORD_MAX} characters long.`, score: 0 };
  }

  const tokens = personalTokens(userInputs);
  const result = zxcvbn().check(normalised, tokens);
  if (result.score < MIN_SCORE) return { ok: false, reason: guessableReason(result), score: result.score };

  // zxcvbn prices "Smith.Alice.2024" as strong (a name, a year and separators multiply
  // up); what matters is whether the part that is NOT the user's own details or a famous
  // phrase would be strong by itself.
  const cut = [...tokens, ...CONTEXT_WORDS];
  for (const spelling of spellings(normalised)) {
    const rest = withoutTokens(spelling, cut);
    if (rest === null) continue;
    const restScore = rest.length === 0 ? 0 : zxcvbn().check(rest, tokens).score;
    if (restScore < MIN_SCORE) {
      return {
        ok: false,
        reason: "Password is too easy to guess. It is built from your name, email or organisation, " +
          "the name of this service, or a well-known example password. Add more words that are less common.",
        score: restScore,
      };
    }
  }
  return { ok: true, score: result.score };
}
