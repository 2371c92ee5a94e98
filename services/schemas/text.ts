/**
 * Free text as the database can store it: one primitive for every request schema and form that takes
 * text, so a new field cannot forget the rules.
 *
 * - No control characters (C0 U+0000–U+001F, DEL, C1 U+0080–U+009F). Postgres cannot store U+0000 at
 *   all (text refuses it, jsonb refuses its escape), and the others are never typed on purpose: they
 *   hide text in the UI and break logs and CSV exports. Multi-line fields may keep tab and newline.
 * - Well-formed Unicode: a lone surrogate (possible in JSON's `\uD800`) would be stored as U+FFFD.
 * - Trimmed by default; lengths count characters (code points), as Postgres' `length()` does, so a
 *   CHECK on the column's length agrees with the schema.
 *
 * Browser-safe (zod only): islands validate with the same schemas.
 */
import { z } from "zod";

export interface TextOptions {
  /** Fewest characters after trimming (default 0). */
  min?: number;
  /** Most characters after trimming. */
  max: number;
  /** Allow tab and line breaks (\t \n \r). Default false. */
  multiline?: boolean;
  /** Trim surrounding white space first. Default true. */
  trim?: boolean;
  /** Message when shorter than `min` (default "must not be empty" / "must have at least N characters"). */
  minMessage?: string;
}

// deno-lint-ignore no-control-regex
const SINGLE_LINE_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// deno-lint-ignore no-control-regex
const MULTI_LINE_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** Characters as Postgres counts them (code points), not UTF-16 units. */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The reason `s` is not storable text, or null. Exported for code that checks text outside a schema. */
export function textProblem(s: string, multiline = false): string | null {
  const m = (multiline ? MULTI_LINE_CONTROL : SINGLE_LINE_CONTROL).exec(s);
  if (m) {
    const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    return `must not contain control characters (found U+${code})`;
  }
  if (!s.isWellFormed()) return "must be well-formed Unicode (found an unpaired surrogate)";
  return null;
}

/** A string field of free text; see the module comment for the rules. */
export function text(opts: TextOptions) {
  const { min = 0, max, multiline = false, trim = true } = opts;
  const base = trim ? z.string().trim() : z.string();
  return base.check((ctx) => {
    const s = ctx.value;
    const problem = textProblem(s, multiline);
    if (problem) {
      ctx.issues.push({ code: "custom", message: problem, input: s, params: { code: "invalid_text" }, continue: true });
      return;
    }
    const n = charLength(s);
    if (n < min) {
      ctx.issues.push({
        code: "too_small",
        origin: "string",
        minimum: min,
        inclusive: true,
        input: s,
        message: opts.minMessage ?? (min === 1 ? "must not be empty" : `must have at least ${min} characters`),
        // Still a string: refinements of the enclosing object run too, as zod's own length checks let them.
        continue: true,
      });
    } else if (n > max) {
      ctx.issues.push({
        code: "too_big",
        origin: "string",
        maximum: max,
        inclusive: true,
        input: s,
        message: `must have at most ${max} characters`,
        continue: true,
      });
    }
  }).meta({ minLength: min || undefined, maxLength: max });
}
