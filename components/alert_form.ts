/**
 * The /alerts page's form, flat (checkboxes per zone and channel, up to three condition rows), turned
 * into the API's alert input so both go through the same schema (services/alerts/schema.ts).
 */
import { ALERT_CHANNELS, type Condition } from "../services/alerts/schema.ts";
import { ISOS } from "../services/market/zones.ts";

export const CONDITION_ROWS = 3;

export const CONDITION_LABELS: Record<Condition["kind"], string> = {
  price_above: "Price above ($/MWh)",
  price_below: "Price below ($/MWh)",
  spread_above: "DA − RT spread above ($/MWh)",
  spike: "Spike: robust z-score above",
  forecast_miss: "Forecast miss above ($/MWh)",
};

const num = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : Number(v));

/** The form's values as an alert input (unchecked; the schema decides). */
export function alertFromForm(v: Record<string, string>): Record<string, unknown> {
  const conditions = [];
  for (let i = 1; i <= CONDITION_ROWS; i++) {
    const kind = v[`c${i}_kind`];
    if (!kind) continue;
    const value = num(v[`c${i}_value`]);
    const key = kind === "spike" ? "k" : kind === "forecast_miss" ? "amount" : "level";
    conditions.push({ kind, [key]: value });
  }
  const cooldown = num(v.cooldown_min);
  return {
    name: v.name ?? "",
    zones: ISOS.filter((z) => v[`zone_${z}`] === "on"),
    market: v.market,
    combine: v.combine,
    conditions,
    hysteresis: num(v.hysteresis),
    cooldown_s: cooldown === undefined ? undefined : Math.round(cooldown * 60),
    channels: ALERT_CHANNELS.filter((c) => v[`channel_${c}`] === "on"),
  };
}
