/**
 * The next DA gate of each zone with a countdown that ticks every second. The server renders the same
 * text at its own clock, so the list reads right before hydration and without JavaScript; the browser then
 * counts from the server's instant plus the time since the page came (a wrong client clock does not move
 * a gate), and a gate that closes rolls over to the next one by the same rule as the server.
 */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { countdownText } from "../components/countdown.ts";
import { type Gate, nextGates } from "../services/dashboard/gates.ts";

export default function GateCountdowns({ gates, serverNow }: { gates: Gate[]; serverNow: string }) {
  const now = useSignal(Date.parse(serverNow));
  const rows = useSignal(gates);
  useEffect(() => {
    const skew = Date.parse(serverNow) - Date.now();
    const tick = () => {
      now.value = Date.now() + skew;
      if (rows.value.some((g) => Date.parse(g.closes_at) <= now.value)) {
        rows.value = nextGates(new Date(now.value), rows.value.map((g) => g.zone));
      }
    };
    tick();
    const id = setInterval(tick, 1000);
    return () => clearInterval(id);
  }, []);
  return (
    <ul class="-mx-5 divide-y divide-slate-100 border-t border-slate-200" data-testid="gates">
      {rows.value.map((g) => {
        const left = Date.parse(g.closes_at) - now.value;
        const soon = left > 0 && left < 3_600_000;
        return (
          <li key={g.zone} class="flex items-center justify-between gap-3 px-5 py-2 text-sm" data-zone={g.zone}>
            <div class="min-w-0">
              <p class="font-medium">{g.zone}</p>
              <p class="truncate text-xs text-slate-500">
                for {g.delivery_date} · closes {g.local_time}
              </p>
            </div>
            <span
              data-field="countdown"
              class={`shrink-0 font-mono tabular-nums ${
                left <= 0 ? "text-slate-400" : soon ? "font-semibold text-amber-700" : "text-slate-900"
              }`}
            >
              {countdownText(left)}
            </span>
          </li>
        );
      })}
    </ul>
  );
}
