/**
 * The user's display units (`/settings`: price in $/MWh or ¢/kWh, energy in MWh or kWh). Values are stored
 * and travel in $/MWh and MWh; only what a page shows changes. Pure and browser-safe.
 * Tested in tests/unit/market_time_test.ts.
 */

export type PriceUnit = "$/MWh" | "¢/kWh";
export type EnergyUnit = "MWh" | "kWh";
export interface Units {
  price: PriceUnit;
  energy: EnergyUnit;
}

export const DEFAULT_UNITS: Units = { price: "$/MWh", energy: "MWh" };

/** The user's units with defaults filled in (preferences may hold neither). */
export function unitsOf(prefs: { units?: { price?: string; energy?: string } } | null | undefined): Units {
  return {
    price: prefs?.units?.price === "¢/kWh" ? "¢/kWh" : "$/MWh",
    energy: prefs?.units?.energy === "kWh" ? "kWh" : "MWh",
  };
}

const MINUS = "−";

function num(v: number, digits: number): string {
  return Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A price given in $/MWh, in the unit: "$42.10/MWh" or "4.210¢/kWh" (1 $/MWh = 0.1 ¢/kWh). */
export function formatPrice(dollarsPerMwh: number | null | undefined, unit: PriceUnit = "$/MWh"): string {
  if (dollarsPerMwh === null || dollarsPerMwh === undefined || !Number.isFinite(dollarsPerMwh)) return "—";
  const sign = dollarsPerMwh < 0 ? MINUS : "";
  return unit === "¢/kWh" ? `${sign}${num(dollarsPerMwh / 10, 3)}¢/kWh` : `${sign}$${num(dollarsPerMwh, 2)}/MWh`;
}

/** A price in $/MWh converted to the unit's number (for charts' axes and inputs). */
export function priceIn(dollarsPerMwh: number, unit: PriceUnit): number {
  return unit === "¢/kWh" ? dollarsPerMwh / 10 : dollarsPerMwh;
}

/** A number typed in the unit back to $/MWh. */
export function priceFrom(value: number, unit: PriceUnit): number {
  return unit === "¢/kWh" ? value * 10 : value;
}

/** An energy given in MWh, in the unit: "1,250.5 MWh" or "1,250,500 kWh". */
export function formatEnergy(mwh: number | null | undefined, unit: EnergyUnit = "MWh"): string {
  if (mwh === null || mwh === undefined || !Number.isFinite(mwh)) return "—";
  const v = unit === "kWh" ? mwh * 1000 : mwh;
  const s = Number(Math.abs(v).toFixed(unit === "kWh" ? 0 : 3)).toLocaleString("en-US");
  return `${v < 0 ? MINUS : ""}${s} ${unit}`;
}

/** Power follows the energy unit's scale: MW with MWh, kW with kWh. */
export function formatPower(mw: number | null | undefined, unit: EnergyUnit = "MWh"): string {
  if (mw === null || mw === undefined || !Number.isFinite(mw)) return "—";
  const v = unit === "kWh" ? mw * 1000 : mw;
  const s = Number(Math.abs(v).toFixed(unit === "kWh" ? 0 : 3)).toLocaleString("en-US");
  return `${v < 0 ? MINUS : ""}${s} ${unit === "kWh" ? "kW" : "MW"}`;
}
