/**
 * The forecasts API as the pages read it (browser-safe): the shapes of `GET /api/forecasts` and
 * `GET /api/forecasts/accuracy`, the calls, and the words the pages use for them.
 */
import { getJson } from "./api_client.ts";

export interface ForecastModel {
  id: string;
  name: string;
  version: number;
}

export interface ForecastItem {
  interval_start: string;
  interval_end: string;
  delivery_date: string;
  p10: number | null;
  p50: number;
  p90: number | null;
  made_at: string;
  run_id: string;
  model: ForecastModel;
}

export interface ForecastsResponse {
  zone: string;
  market: "DA";
  as_of: string;
  items: ForecastItem[];
  next_cursor: string | null;
}

export interface ForecastAccuracy {
  zone: string;
  days: number;
  n_days: number;
  n_hours: number;
  mae: number | null;
  rmae: number | null;
  smape: number | null;
  coverage_80: number | null;
  daily: { date: string; mae: number | null; rmae: number | null }[];
}

/** The forecasts for delivery intervals in [from, to) as known now; null when the API refused or failed. */
export async function fetchForecasts(zone: string, from: Date, to: Date): Promise<ForecastItem[] | null> {
  const body = await getJson<ForecastsResponse>(
    `/api/forecasts?zone=${zone}&from=${from.toISOString()}&to=${to.toISOString()}`,
  );
  return body ? body.items : null;
}

export function fetchAccuracy(zone: string, days = 30): Promise<ForecastAccuracy | null> {
  return getJson<ForecastAccuracy>(`/api/forecasts/accuracy?zone=${zone}&days=${days}`);
}

/** "09:12 UTC" of an ISO instant, with its date in front when that is not today's (UTC). */
export function madeAtText(madeAt: string, now = new Date()): string {
  const iso = new Date(madeAt).toISOString();
  const time = `${iso.slice(11, 16)} UTC`;
  return iso.slice(0, 10) === now.toISOString().slice(0, 10) ? time : `${iso.slice(0, 10)} ${time}`;
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
