import { page } from "fresh";
import { Button, Card, Notice } from "../../components/Form.tsx";
import { formObject, redirect, signedIn } from "../../server/pages.ts";
import type { NotificationView } from "../../services/notifications/schemas.ts";
import { markRead, notificationsPage } from "../../services/notifications/store.ts";
import { define } from "../../utils.ts";

interface Data {
  items: NotificationView[];
  next: string | null;
  unreadOnly: boolean;
  marked: boolean;
}

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const unreadOnly = ctx.url.searchParams.get("unread") === "1";
    const cursor = ctx.url.searchParams.get("cursor") ?? undefined;
    const r = await notificationsPage(ctx.state.services.db(), { orgId: p.orgId, userId: p.userId }, {
      limit: 50,
      cursor,
      unread: unreadOnly,
    });
    return page<Data>({
      items: r.items,
      next: r.next_cursor,
      unreadOnly,
      marked: ctx.url.searchParams.get("done") === "read",
    });
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const values = await formObject(ctx.req);
    const ids = values.id && /^[0-9a-f-]{36}$/.test(values.id) ? [values.id] : undefined;
    await markRead(ctx.state.services.db(), { orgId: p.orgId, userId: p.userId }, ids);
    return redirect("/notifications?done=read");
  },
});

const LEVEL = {
  info: "bg-slate-100 text-slate-700",
  warning: "bg-amber-100 text-amber-900",
  critical: "bg-red-100 text-red-800",
} as const;

export default define.page<typeof handler>(function Notifications({ data }) {
  return (
    <div class="mx-auto max-w-3xl space-y-6">
      <header class="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 class="text-2xl font-bold tracking-tight">Notifications</h1>
          <p class="mt-1 text-sm text-slate-600">
            What happened to your bids, alerts and runs. Choose how you hear about each in{" "}
            <a href="/settings#notifications" class="text-brand-700 underline">Settings</a>.
          </p>
        </div>
        <form method="post">
          <Button variant="secondary">Mark all read</Button>
        </form>
      </header>
      {data.marked && <Notice kind="success">Marked read.</Notice>}
      <nav class="flex gap-2 text-sm" aria-label="Filter">
        <a
          href="/notifications"
          aria-current={data.unreadOnly ? undefined : "page"}
          class={`rounded-md px-3 py-1 ${data.unreadOnly ? "text-slate-600" : "bg-slate-200 font-medium"}`}
        >
          All
        </a>
        <a
          href="/notifications?unread=1"
          aria-current={data.unreadOnly ? "page" : undefined}
          class={`rounded-md px-3 py-1 ${data.unreadOnly ? "bg-slate-200 font-medium" : "text-slate-600"}`}
        >
          Unread
        </a>
      </nav>
      <Card title={data.unreadOnly ? "Unread" : "All notifications"}>
        {data.items.length === 0
          ? <p class="text-sm text-slate-600">Nothing here yet.</p>
          : (
            <ul class="-mx-5 divide-y divide-slate-100 border-t border-slate-200" data-testid="notification-list">
              {data.items.map((n) => (
                <li key={n.id} class={`flex items-start gap-3 px-5 py-3 ${n.read_at ? "" : "bg-brand-50/50"}`}>
                  <span class={`mt-0.5 shrink-0 rounded px-1.5 py-0.5 text-xs ${LEVEL[n.level]}`}>{n.level}</span>
                  <div class="min-w-0 flex-1">
                    <p class="font-medium">{n.title}</p>
                    <p class="break-words text-sm text-slate-600">{n.message}</p>
                    <p class="mt-0.5 text-xs text-slate-400">
                      <time dateTime={n.created_at}>{n.created_at.replace("T", " ").slice(0, 19)} UTC</time>
                      {" · "}
                      {n.type}
                    </p>
                  </div>
                  {!n.read_at && (
                    <form method="post">
                      <input type="hidden" name="id" value={n.id} />
                      <button type="submit" class="text-xs text-brand-700 hover:underline">Mark read</button>
                    </form>
                  )}
                </li>
              ))}
            </ul>
          )}
        {data.next && (
          <a
            class="mt-3 inline-block text-sm text-brand-700 underline"
            href={`/notifications?${data.unreadOnly ? "unread=1&" : ""}cursor=${encodeURIComponent(data.next)}`}
          >
            Older
          </a>
        )}
      </Card>
    </div>
  );
});
