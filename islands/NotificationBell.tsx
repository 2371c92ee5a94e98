/**
 * The bell in the navigation bar: the unread count, kept live from the user's notification stream
 * (/api/ws/notifications: no prices, only alerts for this user and organization), a panel with the latest
 * notifications and "Mark all read", and the toasts of notifications whose owner chose the toast channel.
 */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { AlertToasts } from "../components/LiveStatus.tsx";
import { BellIcon } from "../components/BellIcon.tsx";
import { apiFetch, getJson } from "../components/api_client.ts";
import { connectRealtime, type RealtimeClient } from "../services/realtime/client.ts";

interface Item {
  id: string;
  level: "info" | "warning" | "critical";
  title: string;
  message: string;
  created_at: string;
  read_at: string | null;
}

export default function NotificationBell() {
  const unread = useSignal<number | null>(null);
  const open = useSignal(false);
  const items = useSignal<Item[] | null>(null);
  const client = useSignal<RealtimeClient | null>(null);

  const count = async () => {
    const r = await getJson<{ unread: number }>("/api/notifications/unread-count");
    if (r) unread.value = r.unread;
  };
  const list = async () => {
    const r = await getJson<{ items: Item[] }>("/api/notifications?limit=8");
    if (r) items.value = r.items;
  };

  useEffect(() => {
    void count();
    const c = connectRealtime({
      url: "/api/ws/notifications",
      notificationToasts: true,
      onAlert: (a) => {
        if (!a.notification) return;
        void count();
        if (open.value) void list();
      },
    });
    client.value = c;
    return () => c.close();
  }, []);

  const toggle = () => {
    open.value = !open.value;
    if (open.value) void list();
  };
  const markAll = async () => {
    const res = await apiFetch("/api/notifications/read", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    if (res.ok) {
      unread.value = ((await res.json()) as { unread: number }).unread;
      await list();
    }
  };

  const n = unread.value ?? 0;
  return (
    <div class="relative">
      <button
        type="button"
        onClick={toggle}
        aria-expanded={open.value}
        aria-label={n ? `Notifications: ${n} unread` : "Notifications"}
        data-testid="bell"
        data-connection={client.value?.state.value ?? "connecting"}
        class="relative rounded-md p-2 text-slate-200 hover:bg-white/10"
      >
        <BellIcon />
        {n > 0 && (
          <span
            data-testid="bell-count"
            class="absolute -right-0.5 -top-0.5 min-w-[1.1rem] rounded-full bg-red-600 px-1 text-center text-[0.65rem] font-semibold leading-[1.1rem] text-white"
          >
            {n > 99 ? "99+" : n}
          </span>
        )}
      </button>
      {open.value && (
        <div
          data-testid="bell-panel"
          class="fixed inset-x-2 top-14 z-30 rounded-lg sm:absolute sm:inset-x-auto sm:right-0 sm:top-auto sm:mt-2 sm:w-[22rem] bg-white text-sm text-slate-800 shadow-lg ring-1 ring-slate-200"
        >
          <div class="flex items-center justify-between border-b border-slate-100 px-3 py-2">
            <span class="font-semibold">Notifications</span>
            <button
              type="button"
              class="text-xs text-brand-700 hover:underline"
              onClick={markAll}
              data-testid="mark-all"
            >
              Mark all read
            </button>
          </div>
          <ul class="max-h-96 divide-y divide-slate-100 overflow-y-auto">
            {items.value === null && <li class="px-3 py-3 text-slate-500">Loading…</li>}
            {items.value?.length === 0 && <li class="px-3 py-3 text-slate-500">Nothing yet.</li>}
            {items.value?.map((i) => (
              <li key={i.id} class={`px-3 py-2 ${i.read_at ? "" : "bg-brand-50/60"}`} data-notification={i.id}>
                <p class={`font-medium ${i.level === "warning" ? "text-amber-800" : ""}`}>{i.title}</p>
                <p class="break-words text-slate-600">{i.message}</p>
                <p class="mt-0.5 text-xs text-slate-400">{new Date(i.created_at).toLocaleString()}</p>
              </li>
            ))}
          </ul>
          <a
            href="/notifications"
            class="block border-t border-slate-100 px-3 py-2 text-center text-xs text-brand-700 hover:underline"
          >
            All notifications and settings
          </a>
        </div>
      )}
      <div class="text-left">
        <AlertToasts client={client.value} />
      </div>
    </div>
  );
}
