/**
 * Validation messages in plain words, naming the field as the form labels it: one place that turns zod's
 * issues ("Too small: expected number to be >0" at `capacity_mw`) into what a person reads beside the field
 * ("Capacity must be more than 0 MW"). Forms pass their labels; a field without one is named from its key
 * ("energy_mwh" → "Energy", unit MWh). Pure and browser-safe. Tested in tests/unit/form_messages_test.ts.
 */
import type { z } from "zod";

/** Field key → the label its form shows ("Capacity (MW)"); a trailing "(unit)" is read as the unit. */
export type FieldLabels = Readonly<Record<string, string>>;

const UNIT_SUFFIXES: Readonly<Record<string, string>> = { mw: "MW", mwh: "MWh", kw: "kW", kwh: "kWh", pct: "%" };
const KNOWN_UNITS = new Set(["MW", "MWh", "kW", "kWh", "%", "$/MWh", "¢/kWh"]);
const WORDS: Readonly<Record<string, string>> = { soc: "state of charge", id: "", mfa: "MFA", url: "URL" };

/** The field's name (no unit) and its unit, from the form's label or, failing that, its key. */
export function fieldName(field: string, labels: FieldLabels = {}): { name: string; unit: string | null } {
  const label = labels[field];
  if (label) {
    const m = /^(.*?)\s*\(([^)]+)\)\s*$/.exec(label);
    // "(MWh, storage)" → MWh; "(0–1)" is a hint, not a unit.
    const unit = m?.[2].split(",")[0].trim() ?? null;
    return m ? { name: m[1], unit: unit && KNOWN_UNITS.has(unit) ? unit : null } : { name: label, unit: null };
  }
  const parts = field.split(/[_.]/).filter(Boolean);
  const last = parts.at(-1)?.toLowerCase() ?? "";
  const unit = parts.length > 1 && UNIT_SUFFIXES[last] ? UNIT_SUFFIXES[last] : null;
  const words = (unit ? parts.slice(0, -1) : parts).map((w) => WORDS[w.toLowerCase()] ?? w.toLowerCase())
    .filter(Boolean);
  const text = words.join(" ") || field;
  return { name: text[0].toUpperCase() + text.slice(1), unit };
}

const n = (v: unknown) => typeof v === "bigint" ? v.toString() : Number(v).toLocaleString("en-US");
const withUnit = (v: unknown, unit: string | null) => unit ? (unit === "%" ? `${n(v)} %` : `${n(v)} ${unit}`) : n(v);

/** zod's own wording, which names no field and speaks in types: rebuilt from the issue. */
const ZOD_DEFAULT = /^(Too small|Too big|Invalid|Expected|Required|Unrecognized)/;

/** The message to show for `issue` at `field`. */
export function plainMessage(issue: z.core.$ZodIssue, field: string, labels: FieldLabels = {}): string {
  const { name, unit } = fieldName(field, labels);
  const msg = issue.message ?? "";
  if (msg && !ZOD_DEFAULT.test(msg)) return namedMessage(msg, name, labels);
  switch (issue.code) {
    case "too_small": {
      if (issue.origin === "string") {
        return Number(issue.minimum) <= 1
          ? `${name} is required`
          : `${name} must have at least ${n(issue.minimum)} characters`;
      }
      if (issue.origin === "array" || issue.origin === "set") return `${name} needs at least ${n(issue.minimum)}`;
      return issue.inclusive
        ? `${name} must be at least ${withUnit(issue.minimum, unit)}`
        : `${name} must be more than ${withUnit(issue.minimum, unit)}`;
    }
    case "too_big": {
      if (issue.origin === "string") return `${name} must have at most ${n(issue.maximum)} characters`;
      if (issue.origin === "array" || issue.origin === "set") return `${name} can have at most ${n(issue.maximum)}`;
      return issue.inclusive
        ? `${name} must be at most ${withUnit(issue.maximum, unit)}`
        : `${name} must be less than ${withUnit(issue.maximum, unit)}`;
    }
    case "invalid_type":
      // A field left out arrives as undefined; a number field given text as NaN or a string.
      // zod leaves the input out of issues unless asked: its message says what it received.
      if (/received undefined/.test(msg) || issue.input === "") return `${name} is required`;
      return issue.expected === "number" ? `${name} must be a number` : `${name} is not valid`;
    case "invalid_value":
      return issue.values.length <= 6
        ? `${name} must be one of: ${issue.values.map(String).join(", ")}`
        : `Choose a ${name.toLowerCase()} from the list`;
    case "invalid_format":
      if (issue.format === "email") return `${name} must be an email address`;
      if (issue.format === "uuid" || issue.format === "guid") return `Choose a ${name.toLowerCase()}`;
      if (issue.format === "datetime" || issue.format === "date") return `${name} must be a date`;
      return `${name} is not in the right format`;
    case "unrecognized_keys":
      return `Unknown field${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}`;
    default:
      return `${name} is not valid`;
  }
}

/**
 * A message a schema wrote itself: a predicate ("must not be empty") gets the field's name in front; field
 * keys inside it ("charge_mw cannot exceed capacity_mw") become their names.
 */
function namedMessage(msg: string, name: string, labels: FieldLabels): string {
  const keysNamed = msg.replace(/\b[a-z]+(?:_[a-z0-9]+)+\b/g, (key, at: number) => {
    const named = fieldName(key, labels).name;
    return at === 0 ? named : named.toLowerCase();
  });
  if (/^(must|is|are|cannot|can't|should|needs?|has|have)\b/.test(keysNamed)) return `${name} ${keysNamed}`;
  return keysNamed[0].toUpperCase() + keysNamed.slice(1);
}
