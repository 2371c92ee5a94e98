/**
 * The organization's bids, newest delivery first, server-rendered with a filter form (a GET form: it
 * works without JavaScript) and an "Older" link. Once hydrated the list stays current: when the
 * clearing job moves a bid, the realtime hub sends the organization an alert ("Keystone Battery · PJM DA HE17: cleared 10 MW at $53.44"), which
 * shows as a toast and makes the list fetch the same page again; so does a bid saved by the builder.
 */
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { BidStatusBadge } from "../components/BidStatusBadge.tsx";
import {
  type BidFilters,
  type BidRow,
  BIDS_CHANGED_EVENT,
  bidSubject,
  curveSummary,
  listQuery,
  mw,
  PAGE_SIZE,
  toRow,
  usd,
} from "../components/bid_format.ts";
import { AlertToasts, LiveBadge, ReconnectBanner } from "../components/LiveStatus.tsx";
import { connectRealtime, type RealtimeClient } from "../services/realtime/client.ts";
import { apiFetch, checkSession, failureText } from "../components/api_client.ts";
import { mountSessionPrompt } from "../components/SessionPrompt.tsx";
import { applicable, type BulkAction, bulkRequest, copyToDay, needsConfirmation } from "../components/bid_bulk.ts";
import { AttemptKeys, send } from "../components/bid_api.ts";
import type { BidStatus } from "../services/bids/schema.ts";
import type { Market } from "../services/market/types.ts";
import type { Iso } from "../services/market/zones.ts";
import { formatMarketInterval, formatUserTime, resolveZone } from "../services/market/market_time.ts";
import { DEFAULT_UNITS, formatPrice, type Units } from "../services/market/units.ts";

export interface BidListProps {
  items: BidRow[];
  nextCursor: string | null;
  /** The page's cursor (null: the newest page). */
  cursor: string | null;
  filters: BidFilters;
  assets: { id: string; name: string }[];
  /** Zones to stream (the user's assets' zones); alerts come whatever the zones. */
  zones: Iso[];
  /** The filters' choices, from the server (so the island needs none of the schema modules, nor zod). */
  options: { statuses: readonly BidStatus[]; zones: readonly Iso[]; markets: readonly Market[] };
  /** The viewer's /settings: time zone for times with no market, display units. */
  display?: { timeZone: string; units: Units };
}

/** "2025-03-09" and "HE17 EDT" of a bid's delivery, on its zone's market clock. */
function deliveryParts(b: BidRow): [string, string] {
  const zone = resolveZone(b.zone);
  if (!zone) return [b.interval_start.slice(0, 10), b.interval_start.slice(11, 16)];
  const text = formatMarketInterval(zone, b.interval_start, b.interval_end);
  return [text.slice(0, 10), text.slice(11)];
}

export default function BidList(props: BidListProps) {
  const { timeZone, units } = props.display ?? { timeZone: "UTC", units: DEFAULT_UNITS };
  const items = useSignal<BidRow[]>(props.items);
  const nextCursor = useSignal(props.nextCursor);
  const client = useSignal<RealtimeClient | null>(null);
  const refreshed = useSignal<string | null>(null);
  const flash = useSignal<ReadonlySet<string>>(new Set());
  const refreshError = useSignal<string | null>(null);
  const inflight = useRef<AbortController | null>(null);
  const selected = useSignal<ReadonlySet<string>>(new Set());
  const confirming = useSignal<BulkAction | null>(null);
  const bulkBusy = useSignal(false);
  const bulkResult = useSignal<{ ok: boolean; text: string } | null>(null);
  const copyDate = useSignal("");

  const chosen = () => items.value.filter((b) => selected.value.has(b.id));
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected.value);
    on ? next.add(id) : next.delete(id);
    selected.value = next;
    confirming.value = null;
  };

  const errorText = (body: unknown, status: number) =>
    (body as { error?: { message?: string } })?.error?.message ?? `status ${status}`;

  /** One call per bid (each bid's own lifecycle and gate); the result says what went and what was refused. */
  async function runBulk(action: BulkAction) {
    const targets = applicable(chosen(), action);
    if (!targets.length) return;
    if (needsConfirmation(action) && confirming.value !== action) {
      confirming.value = action;
      return;
    }
    confirming.value = null;
    bulkBusy.value = true;
    const refused: string[] = [];
    for (const b of targets) {
      const req = bulkRequest(action, b.id);
      const a = await send(req.url, {
        method: req.method,
        keys: req.method === "POST" ? new AttemptKeys() : undefined,
      });
      if (!a.ok) refused.push(`${bidSubject(b)} ${b.interval_start.slice(0, 16)}Z: ${errorText(a.body, a.status)}`);
    }
    const done = targets.length - refused.length;
    const verb = { submit: "Submitted", withdraw: "Withdrew", delete: "Deleted" }[action];
    bulkResult.value = {
      ok: refused.length === 0,
      text: `${verb} ${done} of ${targets.length}.` + (refused.length ? ` Refused: ${refused.join("; ")}` : ""),
    };
    selected.value = new Set();
    bulkBusy.value = false;
    await refresh();
  }

  /** The selected DA bids as drafts on another operating day, in one all-or-nothing batch. */
  async function copySelected() {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(copyDate.value)) {
      bulkResult.value = { ok: false, text: "Copy to day: choose the operating day to copy to." };
      return;
    }
    const { bids, skipped } = copyToDay(chosen(), copyDate.value);
    if (!bids.length) {
      bulkResult.value = { ok: false, text: "Nothing to copy: only day-ahead bids are copied to another day." };
      return;
    }
    bulkBusy.value = true;
    const a = await send("/api/bids/batch", { method: "POST", body: { bids }, keys: new AttemptKeys() });
    bulkBusy.value = false;
    bulkResult.value = a.ok
      ? {
        ok: true,
        text: `Copied ${bids.length} bid(s) to ${copyDate.value} as drafts` + (skipped ? ` (${skipped} skipped)` : "") +
          ".",
      }
      : { ok: false, text: `Nothing copied: ${errorText(a.body, a.status)}` };
    if (a.ok) selected.value = new Set();
    await refresh();
  }

  async function refresh() {
    inflight.current?.abort();
    const ctl = new AbortController();
    inflight.current = ctl;
    try {
      const q = listQuery(props.filters, { cursor: props.cursor, limit: PAGE_SIZE });
      const res = await apiFetch(`/api/bids?${q}`, { headers: { accept: "application/json" }, signal: ctl.signal });
      if (!res.ok) throw new Error(failureText(res.status));
      const body = await res.json() as { items: BidRow[]; next_cursor: string | null };
      const before = new Map(items.value.map((b) => [b.id, b.status]));
      const moved = body.items.filter((b) => before.get(b.id) !== b.status).map((b) => b.id);
      items.value = body.items.map(toRow);
      nextCursor.value = body.next_cursor;
      refreshed.value = new Date().toISOString();
      refreshError.value = null;
      if (moved.length) {
        flash.value = new Set(moved);
        setTimeout(() => (flash.value = new Set()), 4000);
      }
    } catch (e) {
      // A newer refresh took over: its outcome is the one to show.
      if (!ctl.signal.aborted) refreshError.value = `Could not refresh the list: ${(e as Error).message}`;
    }
  }

  useEffect(() => {
    mountSessionPrompt();
    let snapshots = 0;
    const c = connectRealtime({
      url: "/api/ws/prices",
      checkSession,
      zones: props.zones.length ? props.zones : undefined,
      onAlert: (a) => {
        // The system's alerts to an organization are bid outcomes ("Asset · PJM DA HE17: cleared …").
        if (a.source !== "admin" || /^Bid\b/.test(a.title)) void refresh();
      },
      // After a reconnect, alerts sent meanwhile were missed: read the list again.
      onSnapshot: () => {
        if (snapshots++ > 0) void refresh();
      },
    });
    client.value = c;
    const onChanged = () => void refresh();
    globalThis.addEventListener(BIDS_CHANGED_EVENT, onChanged);
    return () => {
      globalThis.removeEventListener(BIDS_CHANGED_EVENT, onChanged);
      inflight.current?.abort();
      c.close();
    };
  }, []);

  const f = props.filters;
  const filtered = Boolean(f.kind || f.status || f.zone || f.market || f.asset_id);
  const select = "block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm shadow-sm";
  return (
    <div class="space-y-4">
      <form
        method="get"
        action="/bidding"
        class="grid grid-cols-2 gap-2 sm:grid-cols-6 sm:items-end"
        data-testid="bid-filters"
      >
        <label class="space-y-1 text-xs font-medium text-slate-600">
          Kind
          <select name="kind" class={select}>
            <option value="">Any</option>
            <option value="physical" selected={f.kind === "physical"}>Physical</option>
            <option value="virtual" selected={f.kind === "virtual"}>Virtual</option>
          </select>
        </label>
        <label class="space-y-1 text-xs font-medium text-slate-600">
          Status
          <select name="status" class={select}>
            <option value="">Any</option>
            {props.options.statuses.map((s) => <option key={s} value={s} selected={f.status === s}>{s}</option>)}
          </select>
        </label>
        <label class="space-y-1 text-xs font-medium text-slate-600">
          Zone
          <select name="zone" class={select}>
            <option value="">Any</option>
            {props.options.zones.map((z) => <option key={z} value={z} selected={f.zone === z}>{z}</option>)}
          </select>
        </label>
        <label class="space-y-1 text-xs font-medium text-slate-600">
          Market
          <select name="market" class={select}>
            <option value="">Any</option>
            {props.options.markets.map((m) => <option key={m} value={m} selected={f.market === m}>{m}</option>)}
          </select>
        </label>
        <label class="space-y-1 text-xs font-medium text-slate-600">
          Asset
          <select name="asset_id" class={select}>
            <option value="">Any</option>
            {props.assets.map((a) => <option key={a.id} value={a.id} selected={f.asset_id === a.id}>{a.name}</option>)}
          </select>
        </label>
        <div class="flex items-center gap-2">
          <button
            type="submit"
            class="flex-1 rounded-md bg-white px-3 py-1.5 text-sm font-semibold text-slate-700 shadow-sm ring-1 ring-slate-300 hover:bg-slate-50"
          >
            Filter
          </button>
          {filtered && <a href="/bidding" class="text-sm font-medium text-brand-600 hover:underline">Clear</a>}
        </div>
      </form>

      <div class="flex items-center justify-between gap-2 text-xs text-slate-500">
        <span data-testid="list-refreshed" data-refreshed={refreshed.value ?? ""}>
          {refreshed.value
            ? `Updated ${formatUserTime(timeZone, refreshed.value).slice(11)}`
            : client.value
            ? "Updates live as bids clear"
            : ""}
        </span>
        <span class="flex items-center gap-3">
          <a
            href={`/api/bids/export.csv?${listQuery(f)}`}
            download
            class="whitespace-nowrap font-medium text-brand-600 hover:underline"
          >
            Export CSV
          </a>
          {/* Server-rendered (and without JavaScript) there is no connection to show. */}
          {client.value && <LiveBadge client={client.value} />}
        </span>
      </div>
      <ReconnectBanner client={client.value} />
      {refreshError.value && <p role="alert" class="text-sm text-red-700">{refreshError.value}</p>}

      {selected.value.size > 0 && (
        <div
          class="flex flex-wrap items-center gap-2 rounded-md bg-slate-50 px-3 py-2 text-xs ring-1 ring-slate-200"
          data-testid="bulk-bar"
          role="toolbar"
          aria-label="Selected bids"
        >
          <span class="font-semibold text-slate-700">{selected.value.size} selected</span>
          {(["submit", "withdraw", "delete"] as const).map((action) => {
            const n = applicable(chosen(), action).length;
            return (
              <button
                key={action}
                type="button"
                data-bulk={action}
                disabled={!n || bulkBusy.value}
                class={`rounded-md px-2.5 py-1.5 font-semibold ring-1 disabled:opacity-50 ${
                  action === "submit"
                    ? "bg-brand-600 text-white ring-brand-600"
                    : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50"
                }`}
                onClick={() => void runBulk(action)}
              >
                {{ submit: "Submit", withdraw: "Withdraw", delete: "Delete" }[action]} {n}
              </button>
            );
          })}
          <label class="flex items-center gap-1">
            <span>Copy to day</span>
            <input
              type="date"
              data-testid="bulk-copy-date"
              class="rounded-md border border-slate-300 px-1 py-0.5 text-xs"
              value={copyDate.value}
              onInput={(e) => (copyDate.value = (e.currentTarget as HTMLInputElement).value)}
            />
          </label>
          <button
            type="button"
            data-bulk="copy"
            disabled={bulkBusy.value}
            class="rounded-md bg-white px-2.5 py-1.5 font-semibold text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50"
            onClick={() => void copySelected()}
          >
            Copy
          </button>
          {confirming.value && (
            <span class="flex w-full flex-wrap items-center gap-2 text-red-800" role="alert" data-testid="bulk-confirm">
              {confirming.value === "withdraw"
                ? `Withdraw ${applicable(chosen(), "withdraw").length} bid(s)? Submitted ones leave the market.`
                : `Delete ${applicable(chosen(), "delete").length} draft(s)? This cannot be undone.`}
              <button
                type="button"
                data-bulk-confirm={confirming.value}
                class="rounded-md bg-red-600 px-2.5 py-1.5 font-semibold text-white"
                onClick={() =>
                  void runBulk(confirming.value!)}
              >
                Yes, {confirming.value}
              </button>
              <button
                type="button"
                class="rounded-md bg-white px-2.5 py-1.5 font-semibold text-slate-700 ring-1 ring-slate-300"
                onClick={() => (confirming.value = null)}
              >
                Cancel
              </button>
            </span>
          )}
        </div>
      )}
      {bulkResult.value && (
        <p
          role={bulkResult.value.ok ? "status" : "alert"}
          data-testid="bulk-result"
          class={`text-sm ${bulkResult.value.ok ? "text-emerald-800" : "text-red-700"}`}
        >
          {bulkResult.value.text}
        </p>
      )}

      {items.value.length
        ? (
          <div class="-mx-5 overflow-x-auto">
            <table class="min-w-full text-sm" data-testid="bid-list">
              <thead class="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th class="w-8 pl-5 py-2">
                    <input
                      type="checkbox"
                      aria-label="Select all bids on this page"
                      data-testid="select-all"
                      checked={items.value.length > 0 && items.value.every((b) => selected.value.has(b.id))}
                      onChange={(e) => {
                        selected.value = (e.currentTarget as HTMLInputElement).checked
                          ? new Set(items.value.map((b) => b.id))
                          : new Set();
                        confirming.value = null;
                      }}
                    />
                  </th>
                  <th class="px-5 py-2 font-medium">Delivery</th>
                  <th class="py-2 pl-3 pr-5 font-medium sm:pr-3">Asset</th>
                  <th class="hidden px-3 py-2 font-medium md:table-cell">Curve</th>
                  <th class="hidden px-3 py-2 font-medium sm:table-cell">Status</th>
                  <th class="hidden px-5 py-2 text-right font-medium sm:table-cell">Award</th>
                </tr>
              </thead>
              <tbody class="divide-y divide-slate-100">
                {items.value.map((b) => (
                  <tr
                    key={b.id}
                    data-bid-id={b.id}
                    class={`align-top ${flash.value.has(b.id) ? "bg-amber-50" : ""}`}
                  >
                    <td class="w-8 py-2 pl-5">
                      <input
                        type="checkbox"
                        aria-label={`Select bid ${b.id.slice(0, 8)}`}
                        data-select={b.id}
                        checked={selected.value.has(b.id)}
                        onChange={(e) => toggle(b.id, (e.currentTarget as HTMLInputElement).checked)}
                      />
                    </td>
                    <td class="px-5 py-2">
                      <a href={`/bidding/${b.id}`} class="font-medium text-brand-700 hover:underline">
                        <span class="whitespace-nowrap">{deliveryParts(b)[0]}</span>{" "}
                        <span class="whitespace-nowrap" data-testid="bid-hour">{deliveryParts(b)[1]}</span>
                      </a>
                      <span class="mt-1 block sm:hidden">
                        <BidStatusBadge status={b.status} />
                      </span>
                    </td>
                    <td class="py-2 pl-3 pr-5 sm:pr-3">
                      <span class="block max-w-[9rem] truncate sm:max-w-none" data-kind={b.kind}>{bidSubject(b)}</span>
                      <span class="block text-xs text-slate-500">
                        {b.zone} {b.market} · {b.side}
                      </span>
                    </td>
                    <td class="hidden px-3 py-2 text-xs tabular-nums text-slate-600 md:table-cell">
                      {units.price === "$/MWh"
                        ? curveSummary(b.segments)
                        : curveSummary(b.segments, (v) => formatPrice(v, units.price))}
                    </td>
                    <td class="hidden px-3 py-2 sm:table-cell">
                      <BidStatusBadge status={b.status} />
                    </td>
                    <td class="hidden px-5 py-2 text-right text-xs tabular-nums sm:table-cell">
                      {b.awarded_mw !== null
                        ? (
                          <>
                            {mw(b.awarded_mw)} @ {formatPrice(b.clearing_price, units.price)}
                            {b.revenue !== null && <span class="block text-slate-500">{usd(b.revenue)}</span>}
                          </>
                        )
                        : <span class="text-slate-400">—</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
        : (
          <p class="rounded-md bg-slate-50 px-4 py-6 text-center text-sm text-slate-500" data-testid="bid-list-empty">
            {filtered ? "No bids match these filters." : "No bids yet."}
          </p>
        )}

      {(props.cursor || nextCursor.value) && (
        <nav aria-label="Pages" class="flex justify-between text-sm">
          {props.cursor
            ? <a href={`/bidding?${listQuery(f)}`} class="font-medium text-brand-600 hover:underline">← Newest</a>
            : <span />}
          {nextCursor.value && (
            <a
              href={`/bidding?${listQuery(f, { cursor: nextCursor.value })}`}
              class="font-medium text-brand-600 hover:underline"
              data-testid="older"
            >
              Older →
            </a>
          )}
        </nav>
      )}
      <AlertToasts client={client.value} />
    </div>
  );
}
