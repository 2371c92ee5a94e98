/**
 * The forecasts API as the islands read it (browser-safe): the call to `GET /api/forecasts` (shapes in
 * services/forecast_live/schema.ts), and the words the pages use for a forecast.
 */
import { getJson } from "./api_client.ts";
import type { ForecastItem, ForecastsResponse } from "../services/forecast_live/schema.ts";
import { formatMarketTime } from "../services/market/market_time.ts";
import type { Iso } from "../services/market/zones.ts";

export type { ForecastItem, ForecastsResponse } from "../services/forecast_live/schema.ts";
export type { AccuracyResponse as ForecastAccuracy } from "../services/forecast_live/schema.ts";
type ForecastModel = ForecastItem["model"];

/** The forecasts for delivery intervals in [from, to) as known now; null when the API refused or failed. */
export async function fetchForecasts(zone: string, from: Date, to: Date): Promise<ForecastItem[] | null> {
  const body = await getJson<ForecastsResponse>(
    `/api/forecasts?zone=${zone}&from=${from.toISOString()}&to=${to.toISOString()}`,
  );
  return body ? body.items : null;
}

/**
 * "09:12 EST" of an ISO instant on the zone's market clock, named, with its date in front when that is not
 * today's on the same clock. The zone is required: a forecast is always of a zone, and UTC is not for pages.
 */
export function madeAtText(madeAt: string, now: Date, zone: Iso): string {
  const shown = formatMarketTime(zone, madeAt);
  return shown.slice(0, 10) === formatMarketTime(zone, now).slice(0, 10) ? shown.slice(11) : shown;
}

/** "lear-ensemble v1". */
export function modelText(m: ForecastModel): string {
  return `${m.name} v${m.version}`;
}

/**
 * The run behind the newest delivery day of `items` (the API answers one vintage per interval, so a day's
 * hours share their run): what the page names as "forecast made … by …".
 */
export function newestRun(items: readonly ForecastItem[]): ForecastItem | null {
  let best: ForecastItem | null = null;
  for (const it of items) {
    if (!best || it.delivery_date > best.delivery_date) best = it;
  }
  return best;
}
