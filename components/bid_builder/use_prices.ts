/**
 * The prices the builder draws against: the latest RT price of the asset's zone (again when the zone
 * changes and every minute), the published DA price of the interval's hour when it exists, and the
 * forecast of that hour (median and 10–90 % band) from the forecasts API. A failed read keeps what is shown.
 */
import { useEffect, useState } from "preact/hooks";
import { getJson } from "../api_client.ts";
import { fetchForecasts, type ForecastItem } from "../forecast_api.ts";
import type { Iso } from "../../services/market/zones.ts";
import type { LatestPrice } from "./types.ts";

export function useLatestPrice(zone: Iso, initial: Record<string, LatestPrice>): LatestPrice | undefined {
  const [prices, setPrices] = useState<Record<string, LatestPrice>>(initial);
  useEffect(() => {
    let stop = false;
    const load = () =>
      getJson<{ items?: ({ zone: string } & LatestPrice)[] }>(`/api/market-data/latest?zones=${zone}`)
        .then((b) => {
          const item = b?.items?.find((i) => i.zone === zone);
          if (!stop && item) setPrices((p) => ({ ...p, [zone]: { rt: item.rt, da: item.da } }));
        })
        .catch(() => {/* keep what we have */});
    void load();
    const t = setInterval(load, 60_000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [zone]);
  return prices[zone];
}

function hourOf(start: string): string {
  return new Date(Math.floor(Date.parse(start) / 3_600_000) * 3_600_000).toISOString();
}

/**
 * A read keyed by the hour of `start` in `zone`: undefined before it answers (or for another hour), then
 * what `read` gave. Another minute of the same hour (RT) needs no new read; a date typed per keystroke is
 * read once it settles. `read` answering undefined (a failed call) keeps the state unanswered.
 */
function useHourRead<T>(
  zone: Iso,
  start: string | null,
  read: (from: Date, to: Date) => Promise<T | undefined>,
  enabled = true,
): T | undefined {
  const [got, setGot] = useState<{ key: string; value: T } | null>(null);
  const from = start && enabled ? hourOf(start) : "";
  const key = `${zone}|${from}`;
  useEffect(() => {
    if (!from) return;
    let stop = false;
    const t = setTimeout(() => {
      read(new Date(from), new Date(Date.parse(from) + 3_600_000))
        .then((value) => {
          if (!stop && value !== undefined) setGot({ key, value });
        })
        .catch(() => {});
    }, 250);
    return () => {
      stop = true;
      clearTimeout(t);
    };
  }, [key]);
  return got?.key === key ? got.value : undefined;
}

/** The published DA price of the hour of `start` in `zone` (null when there is none yet). */
export function usePublishedDa(zone: Iso, start: string | null): number | null | undefined {
  return useHourRead(zone, start, (from, to) =>
    getJson<{ items?: { lmp: number }[] }>(
      `/api/market-data/history?zone=${zone}&market=DA&from=${from.toISOString()}&to=${to.toISOString()}&limit=1`,
    ).then((b) => (b ? b.items?.[0]?.lmp ?? null : undefined)));
}

/**
 * The forecast of the DA price of the hour of `start` in `zone`, as known now (null when no run covers
 * it). Only for readers of forecasts (`enabled`): for others it stays undefined and nothing is asked.
 */
export function useForecast(zone: Iso, start: string | null, enabled: boolean): ForecastItem | null | undefined {
  return useHourRead(
    zone,
    start,
    (from, to) => fetchForecasts(zone, from, to).then((items) => (items ? items[0] ?? null : undefined)),
    enabled,
  );
}
