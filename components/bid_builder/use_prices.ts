/**
 * The prices the builder draws against: the latest RT price of the asset's zone (again when the zone
 * changes and every minute) and, as the forecast until there is a forecast service, the published DA
 * price of the interval's hour. A failed read keeps what is shown.
 */
import { useEffect, useState } from "preact/hooks";
import { getJson } from "../api_client.ts";
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

/** The DA price of the hour of `start` in `zone`, once read (undefined before, or for another interval). */
export function useForecast(zone: Iso, start: string | null): number | null | undefined {
  const [forecast, setForecast] = useState<{ key: string; lmp: number | null } | null>(null);
  // Keyed by the hour: another minute of the same hour (RT) needs no new read.
  const from = start ? hourOf(start) : "";
  const key = `${zone}|${from}`;
  useEffect(() => {
    if (!from) return;
    const to = new Date(Date.parse(from) + 3_600_000).toISOString();
    let stop = false;
    // Typing a date fires per keystroke: read once it settles.
    const t = setTimeout(() => {
      getJson<{ items?: { lmp: number }[] }>(
        `/api/market-data/history?zone=${zone}&market=DA&from=${from}&to=${to}&limit=1`,
      )
        .then((b) => {
          if (!stop && b) setForecast({ key, lmp: b.items?.[0]?.lmp ?? null });
        })
        .catch(() => {});
    }, 250);
    return () => {
      stop = true;
      clearTimeout(t);
    };
  }, [key]);
  return forecast?.key === key ? forecast.lmp : undefined;
}
