/**
 * The organization's audit log as a live feed: the page renders the newest entries; then a WebSocket
 * (/api/ws/audit) says when the organization has new ones, and this asks the audit API for what came after
 * the newest it has (`after`), with the same filters, and puts them on top, marked, without a reload. The
 * notice carries no entry: what is shown is always what the API, with its permission and filters, returns.
 * A slow refresh (and one after every reconnect) catches what a dropped connection missed.
 */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { getJson } from "../components/api_client.ts";
import type { AuditRow } from "../services/auth/audit.ts";
import { connectRealtime } from "../services/realtime/client.ts";
import { passLoop } from "../services/queue/pass_loop.ts";

/** An audit entry as the API sends it (times as ISO strings). */
export type FeedEntry = Omit<AuditRow, "created_at"> & { created_at: string };

export interface LiveAuditProps {
  initial: FeedEntry[];
  /** The query string of the filters (action, actor), as the API takes them. */
  query: string;
  timeZone: string;
  /** The fallback refresh, for what a notice could not bring (the socket down, a missed frame). */
  intervalMs?: number;
}

const MAX_ROWS = 200;

function when(iso: string, timeZone: string): string {
  try {
    // sv-SE writes "2026-12-03 16:51:34": unambiguous wherever the reader is.
    return new Date(iso).toLocaleString("sv-SE", { timeZone, hourCycle: "h23" });
  } catch {
    return new Date(iso).toISOString();
  }
}

function detailsText(d: Record<string, unknown>): string {
  const text = Object.keys(d ?? {}).length ? JSON.stringify(d) : "";
  return text.length > 140 ? `${text.slice(0, 139)}…` : text;
}

export default function LiveAudit(props: LiveAuditProps) {
  const rows = useSignal<FeedEntry[]>(props.initial);
  const fresh = useSignal<Set<string>>(new Set());
  const state = useSignal<"live" | "paused" | "error" | "connecting">("connecting");

  useEffect(() => {
    let stopped = false;
    let missed = false;
    // One request at a time; notices that come meanwhile make one more after it (services/queue/pass_loop.ts),
    // and the fallback refresh every `intervalMs`.
    const loop = passLoop({
      async pass() {
        if (document.visibilityState === "hidden") {
          missed = true; // asked for when the tab is shown again
          return false;
        }
        const newest = rows.value[0]?.id;
        const q = new URLSearchParams(props.query);
        q.set("limit", "100");
        if (newest) q.set("after", newest);
        const page = await getJson<{ items: FeedEntry[] }>(`/api/admin/audit-logs?${q}`).catch(() => null);
        if (stopped) return false;
        if (!page) {
          state.value = "error";
          return false;
        }
        if (client.state.value === "open") state.value = "live";
        if (page.items.length) {
          fresh.value = new Set(page.items.map((e) => e.id));
          rows.value = [...page.items, ...rows.value].slice(0, MAX_ROWS);
        }
        return false;
      },
      everyMs: props.intervalMs ?? 60_000,
      onError: () => (state.value = "error"),
    });
    const refresh = () => void loop.runNow();
    const client = connectRealtime({
      url: "/api/ws/audit",
      maxAttempts: Infinity,
      onAudit: refresh,
      onWelcome: (_msg, reconnected) => {
        state.value = "live";
        if (reconnected) refresh();
      },
    });
    const stopState = client.state.subscribe((s) => {
      if (s === "reconnecting" || s === "failed") state.value = "error";
    });
    loop.start();
    const onVisible = () => {
      if (document.visibilityState === "hidden") state.value = "paused";
      else {
        state.value = client.state.value === "open" ? "live" : "error";
        if (missed) {
          missed = false;
          refresh();
        }
      }
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      stopped = true;
      void loop.stop();
      document.removeEventListener("visibilitychange", onVisible);
      stopState();
      client.close();
    };
  }, []);

  return (
    <div class="space-y-2">
      <p
        class="flex items-center gap-2 text-xs text-slate-600"
        aria-live="polite"
        data-testid="feed-state"
        data-state={state.value}
      >
        <span
          class={`inline-block h-2 w-2 rounded-full ${
            state.value === "live" ? "bg-emerald-500" : state.value === "paused" ? "bg-slate-400" : "bg-amber-500"
          }`}
        />
        {state.value === "live"
          ? "Live: new entries appear at the top"
          : state.value === "paused"
          ? "Paused while the tab is hidden"
          : state.value === "connecting"
          ? "Connecting…"
          : "Connection lost; reconnecting"}
      </p>
      {rows.value.length === 0
        ? <p class="text-sm text-slate-600" data-testid="feed-empty">No entries yet. New ones will appear here.</p>
        : (
          <ol class="divide-y divide-slate-100 rounded-lg bg-white shadow-sm ring-1 ring-slate-200" data-testid="feed">
            {rows.value.map((e) => (
              <li
                key={e.id}
                data-audit-id={e.id}
                data-action={e.action}
                class={`grid gap-1 px-3 py-2 text-sm sm:grid-cols-[11rem_1fr] ${
                  fresh.value.has(e.id) ? "bg-amber-50" : ""
                }`}
              >
                <time class="tabular-nums text-xs text-slate-500" datetime={e.created_at}>
                  {when(e.created_at, props.timeZone)}
                </time>
                <div class="min-w-0">
                  <p>
                    <span class="font-mono text-xs font-semibold">{e.action}</span>{" "}
                    <span class="text-slate-600">
                      by {e.actor_email ??
                        (e.actor_api_key_id ? `API key ${e.actor_api_key_id.slice(0, 8)}…` : "the system")}
                    </span>
                    {e.target_type && (
                      <span class="text-slate-500">{` · ${e.target_type} ${e.target_id?.slice(0, 12) ?? ""}`}</span>
                    )}
                  </p>
                  {Object.keys(e.details ?? {}).length > 0 && (
                    <code class="block break-all text-xs text-slate-500">{detailsText(e.details)}</code>
                  )}
                </div>
              </li>
            ))}
          </ol>
        )}
    </div>
  );
}
