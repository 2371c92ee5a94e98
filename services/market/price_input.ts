/**
 * Prices typed in the user's unit, converted exactly to the API's $/MWh (2 decimals) and back.
 * 1 ¢/kWh = 10 $/MWh, so the conversion is a shift of the decimal point by one place, done on the digits
 * rather than by float multiplication (4.125 * 10 is 41.25 only by luck; 4.135 * 10 is 41.349999…).
 * A ¢/kWh price therefore takes at most 3 decimals; more would be a $/MWh price the API cannot hold.
 * Pure and browser-safe.
 */
import type { PriceUnit } from "./units.ts";

export type PriceParse = { ok: true; dollarsPerMwh: number } | { ok: false; message: string };

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** Decimals a price may have in the unit (the API's 2 in $/MWh are 3 in ¢/kWh). */
export function priceDecimals(unit: PriceUnit): number {
  return unit === "¢/kWh" ? 3 : 2;
}

/**
 * A price as typed ("4.125", "-0.5", " 41 ") in the unit, to $/MWh. Refuses text that is not a plain
 * decimal number and digits beyond the unit's decimals, with a message naming the field as labelled.
 */
export function parsePriceInput(text: string, unit: PriceUnit, field = "Price"): PriceParse {
  const t = text.trim().replace(/^−/, "-");
  const m = DECIMAL.exec(t);
  if (t === "" || !m || (m[2] === "" && (m[3] ?? "") === "")) {
    return { ok: false, message: `${field} must be a number in ${unit}` };
  }
  const [, sign, whole, frac = ""] = m;
  const places = priceDecimals(unit);
  // Trailing zeros add no precision: "4.1250" is 4.125.
  const fracTrim = frac.replace(/0+$/, "");
  if (fracTrim.length > places) {
    return { ok: false, message: `${field} can have at most ${places} decimals in ${unit}` };
  }
  const shift = unit === "¢/kWh" ? 1 : 0;
  const padded = fracTrim.padEnd(shift, "0");
  const digits = `${whole || "0"}${padded.slice(0, shift)}.${padded.slice(shift) || "0"}`;
  const value = Number(`${sign}${digits}`);
  if (!Number.isFinite(value)) return { ok: false, message: `${field} is too large` };
  return { ok: true, dollarsPerMwh: value === 0 ? 0 : value };
}

/**
 * A $/MWh price (as the API holds it, 2 decimals) as the text an input in the unit shows: 41.25 → "4.125"
 * in ¢/kWh, "41.25" in $/MWh. Trailing zeros are dropped so a loaded value reads as typed.
 */
export function priceInputText(dollarsPerMwh: number, unit: PriceUnit): string {
  const fixed = Math.abs(dollarsPerMwh).toFixed(2);
  const sign = dollarsPerMwh < 0 && Number(fixed) !== 0 ? "-" : "";
  return sign + (unit === "¢/kWh" ? shiftLeft(fixed) : trimZeros(fixed));
}

/** An unsigned decimal string with its point moved one place left ("41.25" → "4.125", "1000" → "100"). */
function shiftLeft(digits: string): string {
  const [whole, frac = ""] = digits.split(".");
  const padded = whole.padStart(2, "0");
  return trimZeros(`${padded.slice(0, -1).replace(/^0+(?=\d)/, "")}.${padded.slice(-1)}${frac}`);
}

function trimZeros(s: string): string {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

/** A limit in $/MWh (a cap or floor) as a message shows it in the unit: 1000 → "100 ¢/kWh". */
export function priceLimitText(dollarsPerMwh: number, unit: PriceUnit): string {
  return `${priceInputText(dollarsPerMwh, unit)} ${unit}`;
}

/**
 * A rule's message (the API's, in $/MWh: "… $41.25/MWh is above PJM's cap of $1,000/MWh") in the unit:
 * "… 4.125 ¢/kWh is above PJM's cap of 100 ¢/kWh". Messages in $/MWh come back unchanged.
 */
export function messageInUnit(message: string, unit: PriceUnit): string {
  if (unit === "$/MWh") return message;
  return message
    .replace(/([−-]?)\$([\d,]+(?:\.\d+)?)\/MWh/g, (_, sign: string, n: string) => {
      const text = shiftLeft(n.replaceAll(",", ""));
      return `${sign && Number(text) !== 0 ? "−" : ""}${text} ¢/kWh`;
    })
    .replaceAll("$/MWh", "¢/kWh");
}
