/**
 * The connection state of a live view, a banner with a Reconnect button once
 * the client has given up, and alerts from admins as toasts.
 */
import type { RealtimeClient } from "../services/realtime/client.ts";

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

export function AlertToasts({ client }: { client: RealtimeClient | null }) {
  const alerts = client?.alerts.value ?? [];
  if (!alerts.length) return null;
  return (
    <div class="pointer-events-none fixed inset-x-0 bottom-4 z-30 flex flex-col items-center gap-2 px-4 sm:items-end">
      {alerts.slice(-3).map((a) => (
        <div
          key={a.id}
          role="status"
          data-alert={a.level}
          class={`pointer-events-auto w-full max-w-sm rounded-lg px-4 py-3 text-sm shadow-lg ring-1 ${
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
    </div>
  );
}
