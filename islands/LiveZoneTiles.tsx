/**
 * The dashboard's zone tiles, server-rendered, then kept live from the price
 * stream (/api/ws/prices): each RT tick moves the tile's price, its change vs
 * an hour ago and the sparkline's current hour, without a reload.
 */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { AlertToasts, LiveBadge, ReconnectBanner } from "../components/LiveStatus.tsx";
import { ZoneTile } from "../components/ZoneTile.tsx";
import type { PriceTick } from "../services/market/types.ts";
import type { ZoneOverview } from "../services/market/overview.ts";
import type { Units } from "../services/market/units.ts";
import { connectRealtime, type RealtimeClient } from "../services/realtime/client.ts";
import { checkSession } from "../components/api_client.ts";
import { mountSessionPrompt } from "../components/SessionPrompt.tsx";
import { panelRefresher } from "../components/live_panels.ts";

/** Applies ticks to the overview; pure, so it is tested without a browser. */
export function applyTicks(tiles: ZoneOverview[], ticks: PriceTick[], now = Date.now()): ZoneOverview[] {
  return tiles.map((z) => {
    let next = z;
    for (const t of ticks) {
      if (t.zone !== z.zone) continue;
      if (t.market === "RT" && (!next.rt || t.interval_start > next.rt.interval_start)) {
        const sameHour = next.rt && next.rt.interval_start.slice(0, 13) === t.interval_start.slice(0, 13);
        const spark = [...next.spark];
        if (sameHour && spark.length) spark[spark.length - 1] = t.lmp;
        else spark.push(t.lmp);
        next = { ...next, rt: { lmp: t.lmp, interval_start: t.interval_start }, spark: spark.slice(-24) };
      }
      if (t.market === "DA" && Date.parse(t.interval_start) <= now && Date.parse(t.interval_end) > now) {
        next = { ...next, da: t.lmp };
      }
    }
    return next;
  });
}

/** `livePanels`: the page's `data-live-panel` sections are read again when a bid outcome arrives. */
export default function LiveZoneTiles(
  { initial, livePanels, units }: { initial: ZoneOverview[]; livePanels?: boolean; units?: Units },
) {
  const tiles = useSignal(initial);
  const client = useSignal<RealtimeClient | null>(null);

  useEffect(() => {
    mountSessionPrompt();
    const c = connectRealtime({
      url: "/api/ws/prices",
      checkSession,
      onSnapshot: (msg) => (tiles.value = applyTicks(tiles.value, msg.ticks)),
      onPrices: (ticks) => (tiles.value = applyTicks(tiles.value, ticks)),
      // The system's alerts to an organization are its bid outcomes; an admin's message changes no panel.
      onAlert: livePanels ? ((refresh) => (a) => a.source !== "admin" && refresh())(panelRefresher()) : undefined,
    });
    client.value = c;
    return () => c.close();
  }, []);

  return (
    <div class="space-y-3" data-testid="zone-prices">
      <div class="flex items-center justify-between">
        <h2 class="text-base font-semibold">Prices by zone</h2>
        <LiveBadge client={client.value} />
      </div>
      <ReconnectBanner client={client.value} />
      <ul class="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4" data-testid="zone-tiles">
        {tiles.value.map((z) => (
          <li key={z.zone}>
            <ZoneTile z={z} units={units} />
          </li>
        ))}
      </ul>
      <AlertToasts client={client.value} />
    </div>
  );
}
