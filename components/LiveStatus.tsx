/**
 * The connection state of a live view, a banner with a Reconnect button once
 * the client has given up, and alerts (bid outcomes, admins' messages) as toasts.
 */
import { useEffect } from "preact/hooks";
import type { RealtimeClient } from "../services/realtime/client.ts";
import type { AlertLevel } from "../services/realtime/protocol.ts";

const LABEL = {
  connecting: "Connecting…",
  open: "Live",
  reconnecting: "Reconnecting…",
  failed: "Disconnected",
  closed: "Disconnected",
} as const;

export function LiveBadge({ client }: { client: RealtimeClient | null }) {
  const state = client?.state.value ?? "connecting";
  const dot = state === "open" ? "bg-emerald-500" : state === "failed" ? "bg-red-500" : "bg-amber-400";
  return (
    <span class="inline-flex items-center gap-1.5 text-xs font-medium text-slate-600" data-connection={state}>
      <span class={`h-2 w-2 rounded-full ${dot} ${state === "open" ? "animate-pulse" : ""}`} aria-hidden="true" />
      {LABEL[state]}
      {state === "reconnecting" && client && ` (attempt ${client.attempt.value})`}
    </span>
  );
}

export function ReconnectBanner({ client }: { client: RealtimeClient | null }) {
  if (!client || client.state.value !== "failed") return null;
  return (
    <div
      role="alert"
      class="flex flex-wrap items-center justify-between gap-3 rounded-md bg-red-50 px-4 py-3 text-sm text-red-800 ring-1 ring-red-200"
    >
      <span>Live prices stopped: the connection to the server was lost.</span>
      <button
        type="button"
        onClick={() => client.reconnect()}
        class="rounded-md bg-white px-3 py-1.5 font-semibold text-red-700 ring-1 ring-red-300 hover:bg-red-50"
      >
        Reconnect
      </button>
    </div>
  );
}

/** How long a toast stays by itself; a critical one stays until it is dismissed. */
export const TOAST_MS: Readonly<Record<AlertLevel, number | null>> = { info: 8_000, warning: 15_000, critical: null };
/** Toasts shown at once; older ones wait (newest on top). */
const SHOWN = 3;
/** When this page first saw each alert (the browser's clock: the server's `at` may be skewed). */
const firstSeen = new Map<string, number>();

export function AlertToasts({ client }: { client: RealtimeClient | null }) {
  const alerts = client?.alerts.value ?? [];
  useEffect(() => {
    if (!client) return;
    const timers = alerts.flatMap((a) => {
      const ttl = TOAST_MS[a.level];
      if (ttl === null) return [];
      // Counted from arrival, so re-rendering for a newer alert does not restart an older one's time.
      if (!firstSeen.has(a.id)) firstSeen.set(a.id, Date.now());
      const left = firstSeen.get(a.id)! + ttl - Date.now();
      return [setTimeout(() => client.dismissAlert(a.id), Math.max(0, left))];
    });
    if (firstSeen.size > 200) {
      const live = new Set(alerts.map((a) => a.id));
      for (const id of firstSeen.keys()) if (!live.has(id)) firstSeen.delete(id);
    }
    return () => timers.forEach(clearTimeout);
  }, [client, alerts]);
  if (!alerts.length) return null;
  const shown = alerts.slice(-SHOWN).reverse();
  const waiting = alerts.length - shown.length;
  return (
    <>
      {/* Room at the end of the page, so whatever the toasts cover can be scrolled clear of them. */}
      <div class="h-40 sm:h-0" aria-hidden="true" />
      <div
        class="pointer-events-none fixed inset-x-0 bottom-2 z-30 flex flex-col items-center gap-2 px-2 sm:bottom-4 sm:items-end sm:px-4"
        data-testid="toasts"
        aria-live="polite"
      >
        {shown.map((a) => (
          <div
            key={a.id}
            role={a.level === "critical" ? "alert" : "status"}
            data-alert={a.level}
            class={`pointer-events-auto w-full max-w-sm rounded-lg px-3 py-2 text-sm shadow-lg ring-1 ${
              a.level === "critical"
                ? "bg-red-600 text-white ring-red-700"
                : a.level === "warning"
                ? "bg-amber-50 text-amber-900 ring-amber-300"
                : "bg-white text-slate-800 ring-slate-200"
            }`}
          >
            <div class="flex items-start gap-3">
              <div class="min-w-0 flex-1">
                <p class="font-semibold">{a.title}</p>
                <p class="mt-0.5 break-words">{a.message}</p>
              </div>
              <button
                type="button"
                data-dismiss-alert
                aria-label={`Dismiss: ${a.title}`}
                class={`-mr-1 -mt-0.5 rounded px-1.5 text-lg leading-none ${
                  a.level === "critical" ? "hover:bg-red-700" : "hover:bg-black/5"
                }`}
                onClick={() => client?.dismissAlert(a.id)}
              >
                ×
              </button>
            </div>
          </div>
        ))}
        {waiting > 0 && (
          <p
            class="pointer-events-auto rounded-full bg-slate-800/90 px-3 py-1 text-xs text-white"
            data-testid="toasts-more"
          >
            +{waiting} more
          </p>
        )}
      </div>
    </>
  );
}
