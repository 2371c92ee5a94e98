import { page } from "fresh";
import type { FreshContext } from "fresh";
import { BidStatusBadge } from "../../../components/BidStatusBadge.tsx";
import { CurveChart, type RefLine } from "../../../components/CurveChart.tsx";
import { Card, Notice } from "../../../components/Form.tsx";
import { curveSummary, mw, usd } from "../../../components/bid_format.ts";
import { HttpError } from "../../../framework/http_error.ts";
import { formObject, idParam, redirect, signedIn } from "../../../server/pages.ts";
import type { Principal } from "../../../services/auth/principal.ts";
import { can } from "../../../services/auth/rbac.ts";
import { deleteDraft, submitBid, withdrawBid } from "../../../services/bids/actions.ts";
import { allowedActions, type BidAction } from "../../../services/bids/lifecycle.ts";
import { clearingSide, submissionDeadline } from "../../../services/bids/schema.ts";
import { bidHistory, type BidHistoryEntry, type BidView, getBid } from "../../../services/bids/store.ts";
import { type Iso, ZONES } from "../../../services/market/zones.ts";
import { formatMarketInterval, formatUserTime, marketClock } from "../../../services/market/market_time.ts";
import { formatEnergy, formatPrice, priceIn, type Units, unitsOf } from "../../../services/market/units.ts";
import { bidDeps, caller } from "../../../server/bids_http.ts";
import { toHttpError } from "../../../server/errors.ts";
import { define, type State } from "../../../utils.ts";

/** The actions this page's forms post (editing is the builder's, on /bidding). */
const ACTIONS = { submit: submitBid, withdraw: withdrawBid, delete: deleteDraft } as const;
type Action = keyof typeof ACTIONS;

interface Data {
  bid: BidView;
  history: BidHistoryEntry[];
  canWrite: boolean;
  deadline: string;
  open: boolean;
  /** What the lifecycle table lets a user do with the bid now. */
  actions: BidAction[];
  latestRt: number | null;
  /** The viewer's /settings: time zone for times with no market (created, history) and display units. */
  timeZone: string;
  units: Units;
  notice: string | null;
  error: { message: string; details: string[] } | null;
}

const DONE: Record<string, string> = {
  saved: "Draft saved.",
  submitted: "Submitted to the market.",
  pending: "Sent for approval: an approver must approve it before its gate, or it expires.",
  withdrawn: "The bid was withdrawn.",
};

const bidId = (ctx: FreshContext<State>) => idParam(ctx, "bid");

async function load(
  ctx: FreshContext<State>,
  p: Principal,
  id: string,
  extra: Partial<Data> = {},
): Promise<Data> {
  const { services } = ctx.state;
  const db = services.db();
  const bid = await getBid(db, p.orgId, id);
  const [history, latest, prefs] = await Promise.all([
    bidHistory(db, p.orgId, id),
    services.market.latest([bid.zone as Iso]).catch(() => []),
    services.auth.profile.preferences(p.userId),
  ]);
  const deadline = submissionDeadline(bid.zone as Iso, bid.market, bid.interval_start);
  return {
    bid,
    history,
    canWrite: can(p.role, "bids:write"),
    deadline: deadline.toISOString(),
    open: Date.now() < deadline.getTime(),
    actions: allowedActions(bid, new Date()),
    latestRt: latest.find((t) => t.market === "RT")?.lmp ?? null,
    timeZone: prefs.time_zone ?? "UTC",
    units: unitsOf(prefs),
    notice: null,
    error: null,
    ...extra,
  };
}

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const id = bidId(ctx);
    return page<Data>(await load(ctx, p, id, { notice: DONE[ctx.url.searchParams.get("done") ?? ""] ?? null }));
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const id = bidId(ctx);
    const values = await formObject(ctx.req);
    const action = values._action as Action;
    const version = /^\d+$/.test(values.version ?? "") ? Number(values.version) : undefined;
    try {
      if (!Object.hasOwn(ACTIONS, action)) throw new HttpError(400, `Unknown action "${values._action ?? ""}"`);
      const out = await ACTIONS[action](bidDeps(ctx), caller(ctx, p), id, { version });
      if (out.value?.status === "pending_approval") return redirect(`/bidding/${id}?done=pending`);
    } catch (e) {
      const http = toHttpError(e);
      if (!http || http.status >= 500 || http.status === 404) throw e;
      // Field issues (a submit checked again) are listed; a refusal of the action itself is its message.
      const details = Array.isArray(http.options.details)
        ? (http.options.details as { message?: string }[]).map((d) => String(d.message ?? ""))
        : [];
      return page<Data>(
        await load(ctx, p, id, {
          error: { message: details.length ? "The bid was not submitted:" : http.message, details },
        }),
        { status: http.status },
      );
    }
    if (action === "delete") return redirect("/bidding?done=deleted");
    return redirect(`/bidding/${id}?done=${action === "submit" ? "submitted" : "withdrawn"}`);
  },
});

function actor(h: BidHistoryEntry): string {
  if (h.actor_system) return `system (${h.actor_system})`;
  if (h.actor_email) return h.actor_email;
  return h.actor_user_id ? "a user" : "an API key";
}

/** "+1.5", "−0.5833" (a real minus sign, as money is shown). */
const signed = (v: unknown) => typeof v === "number" ? `${v < 0 ? "−" : v > 0 ? "+" : ""}${Math.abs(v)}` : "?";

function historyDetails(h: BidHistoryEntry, units: Units): string {
  const d = h.details ?? {};
  const parts: string[] = [];
  if (d.edited) parts.push("curve edited");
  if (d.approval === "requested") parts.push(`approval requested: ${String(d.reason ?? "policy")}`);
  if (d.approval === "approved") parts.push("approved");
  if (d.approval === "rejected") parts.push(`rejected by the approver: ${String(d.reason ?? "")}`);
  if (d.approval === "expired") parts.push(`expired: ${String(d.reason ?? "")}`);
  if (typeof d.strategy_run === "string") parts.push("made by a strategy run");
  if (typeof d.awarded_mw === "number") parts.push(`awarded ${mw(d.awarded_mw)}`);
  if (typeof d.clearing_price === "number") parts.push(`at ${formatPrice(d.clearing_price, units.price)}`);
  if (typeof d.revenue === "number") parts.push(`revenue ${usd(d.revenue)}`);
  if (typeof d.metered_intervals === "number" && typeof d.rt_revenue === "number") {
    parts.push(
      `(metered ${d.metered_intervals} of ${d.rt_intervals} RT intervals: deviation ${
        units.energy === "kWh" && typeof d.deviation_mwh === "number"
          ? `${d.deviation_mwh > 0 ? "+" : ""}${formatEnergy(d.deviation_mwh, "kWh")}`
          : `${signed(d.deviation_mwh)} MWh`
      }, ` +
        `${usd(d.rt_revenue)} at RT prices)`,
    );
  }
  return parts.join(" ");
}

function ActionButton(props: { action: Action; version: number; label: string; variant: "primary" | "danger" }) {
  const styles = props.variant === "primary"
    ? "bg-brand-600 text-white hover:bg-brand-700"
    : "bg-white text-red-700 ring-1 ring-red-300 hover:bg-red-50";
  return (
    <form method="post">
      <input type="hidden" name="_action" value={props.action} />
      <input type="hidden" name="version" value={String(props.version)} />
      <button
        type="submit"
        data-action={props.action}
        class={`w-full rounded-md px-4 py-2 text-sm font-semibold shadow-sm sm:w-auto ${styles}`}
      >
        {props.label}
      </button>
    </form>
  );
}

export default define.page<typeof handler>(function BidDetail({ data }) {
  const { bid } = data;
  const zone = bid.zone as Iso;
  const { units, timeZone } = data;
  const delivery = formatMarketInterval(zone, bid.interval_start, bid.interval_end);
  const lines: RefLine[] = [];
  if (bid.clearing_price !== null) lines.push({ kind: "clearing", label: "Clearing", price: bid.clearing_price });
  else if (data.latestRt !== null) lines.push({ kind: "latest", label: "Latest RT", price: data.latestRt });
  const settledOrCleared = ["cleared", "settled", "rejected"].includes(bid.status);
  const may = (a: BidAction) => data.canWrite && data.actions.includes(a);
  const canSubmit = may("submit");
  // A draft the market can still take has "Delete draft"; one past its gate is closed out by withdrawing.
  const canWithdraw = may("withdraw") && (bid.status !== "draft" || !canSubmit);
  return (
    <div class="mx-auto max-w-5xl space-y-6">
      <nav class="text-sm">
        <a href="/bidding" class="font-medium text-brand-600 hover:underline">← Bidding</a>
      </nav>
      <header class="flex flex-wrap items-start justify-between gap-3">
        <div class="min-w-0">
          <h1 class="text-2xl font-bold tracking-tight">
            {bid.kind === "virtual"
              ? `Virtual ${bid.side.toUpperCase()} · ${bid.location}`
              : `${bid.side === "offer" ? "Offer" : "Bid"} · ${bid.asset_name}`}
          </h1>
          <p class="mt-1 text-sm text-slate-600">
            {zone} {bid.market === "DA" ? "day-ahead" : "real-time"} ·{" "}
            <span class="whitespace-nowrap" data-testid="bid-delivery">{delivery}</span>
          </p>
        </div>
        <div class="text-lg">
          <BidStatusBadge status={bid.status} />
        </div>
      </header>

      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      {data.error && (
        <Notice kind="error">
          <p data-testid="action-error">{data.error.message}</p>
          {data.error.details.length > 0 && (
            <ul class="mt-1 list-disc pl-5">
              {data.error.details.map((d) => <li key={d}>{d}</li>)}
            </ul>
          )}
        </Notice>
      )}

      {data.canWrite && data.actions.length > 0 && (
        <div class="flex flex-col gap-2 sm:flex-row" data-testid="bid-actions">
          {may("edit") && (
            // Only a draft is edited: once submitted, the bid is what the market received.
            <a
              href={`/bidding?edit=${bid.id}#builder`}
              data-testid="edit-draft"
              class="w-full rounded-md bg-white px-4 py-2 text-center text-sm font-semibold text-slate-700 shadow-sm ring-1 ring-slate-300 hover:bg-slate-50 sm:w-auto"
            >
              Edit
            </a>
          )}
          {canSubmit && (
            <ActionButton action="submit" version={bid.version} label="Submit to market" variant="primary" />
          )}
          {canWithdraw && <ActionButton action="withdraw" version={bid.version} label="Withdraw" variant="danger" />}
          {may("delete") && (
            <ActionButton action="delete" version={bid.version} label="Delete draft" variant="danger" />
          )}
        </div>
      )}

      <div class="grid gap-6 lg:grid-cols-2">
        <Card title="Bid">
          <dl class="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm" data-testid="bid-fields">
            <dt class="text-slate-500">{bid.kind === "virtual" ? "Location" : "Asset"}</dt>
            <dd>
              {bid.kind === "virtual"
                ? `${bid.location} (virtual ${
                  bid.side === "inc" ? "INC: sell DA, buy back RT" : "DEC: buy DA, sell back RT"
                })`
                : bid.asset_name}
            </dd>
            <dt class="text-slate-500">Zone, market</dt>
            <dd>{zone}, {bid.market === "DA" ? "day-ahead (hourly)" : "real-time (5-minute)"}</dd>
            <dt class="text-slate-500">Delivery</dt>
            <dd>
              {delivery}
              <span class="block text-xs text-slate-500">{marketClock(zone).name}, {zone}'s market clock</span>
            </dd>
            <dt class="text-slate-500">Side</dt>
            <dd>{bid.side === "offer" ? "offer (sell)" : "bid (buy)"}</dd>
            <dt class="text-slate-500">Gate</dt>
            <dd>
              {data.open ? "closes" : "closed"} {formatUserTime(ZONES[zone].gateTimeZone, data.deadline)}
            </dd>
            <dt class="text-slate-500">Created</dt>
            <dd data-testid="bid-created">{formatUserTime(timeZone, bid.created_at)}</dd>
            {bid.submitted_at && (
              <>
                <dt class="text-slate-500">Submitted</dt>
                <dd>{formatUserTime(timeZone, bid.submitted_at)}</dd>
              </>
            )}
            <dt class="text-slate-500">Version</dt>
            <dd class="tabular-nums">{bid.version}</dd>
            <dt class="text-slate-500">Id</dt>
            <dd class="break-all font-mono text-xs">{bid.id}</dd>
          </dl>
        </Card>

        <Card title="Result">
          {settledOrCleared
            ? (
              <dl class="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm tabular-nums" data-testid="bid-award">
                <dt class="text-slate-500">Awarded</dt>
                <dd>
                  {mw(bid.awarded_mw)}
                  {bid.awarded_mw !== null && (
                    <span class="ml-1 text-slate-500">
                      ({formatEnergy(
                        bid.awarded_mw * (Date.parse(bid.interval_end) - Date.parse(bid.interval_start)) / 3_600_000,
                        units.energy,
                      )})
                    </span>
                  )}
                </dd>
                <dt class="text-slate-500">Clearing price</dt>
                <dd data-testid="clearing-price">{formatPrice(bid.clearing_price, units.price)}</dd>
                <dt class="text-slate-500">DA revenue</dt>
                <dd>{usd(bid.da_revenue)}</dd>
                <dt class="text-slate-500">{bid.market === "DA" ? "RT deviation" : "RT revenue"}</dt>
                <dd>{usd(bid.rt_revenue)}</dd>
                <dt class="font-medium text-slate-700">Total</dt>
                <dd class="font-semibold">{usd(bid.revenue)}</dd>
                {bid.reject_reason && (
                  <>
                    <dt class="text-slate-500">Reason</dt>
                    <dd class="text-rose-700">{bid.reject_reason}</dd>
                  </>
                )}
              </dl>
            )
            : (
              <p class="text-sm text-slate-600" data-testid="bid-award">
                {bid.status === "withdrawn"
                  ? "Withdrawn: no award."
                  : bid.status === "draft"
                  ? "A draft: not sent to the market."
                  : "Not cleared yet: the result comes when the market's price for the interval is published."}
              </p>
            )}
        </Card>
      </div>

      <Card title="Curve" description={curveSummary(bid.segments, (v) => formatPrice(v, units.price))}>
        <div class="grid gap-4 md:grid-cols-2">
          <table class="w-full self-start text-sm tabular-nums" data-testid="bid-curve">
            <thead class="text-left text-xs text-slate-500">
              <tr>
                <th class="py-1 font-medium">#</th>
                <th class="py-1 text-right font-medium">Price {units.price}</th>
                <th class="py-1 text-right font-medium">MW</th>
                <th class="py-1 text-right font-medium">Cumulative</th>
              </tr>
            </thead>
            <tbody class="divide-y divide-slate-100">
              {bid.segments.map((s, i) => (
                <tr key={i}>
                  <td class="py-1.5 text-slate-500">{i + 1}</td>
                  <td class="py-1.5 text-right">
                    {units.price === "$/MWh" ? usd(s.price) : `${priceIn(s.price, units.price).toFixed(3)}¢`}
                  </td>
                  <td class="py-1.5 text-right">{s.quantity}</td>
                  <td class="py-1.5 text-right text-slate-500">
                    {Number(bid.segments.slice(0, i + 1).reduce((t, x) => t + x.quantity, 0).toFixed(3))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {units.price === "$/MWh"
            ? <CurveChart segments={bid.segments} side={clearingSide(bid.side)} lines={lines} testId="bid-chart" />
            : (
              <CurveChart
                segments={bid.segments.map((x) => ({ ...x, price: priceIn(x.price, units.price) }))}
                side={clearingSide(bid.side)}
                lines={lines.map((l) => ({ ...l, price: priceIn(l.price, units.price) }))}
                price={(v, digits = 3) => `${v < 0 ? "−" : ""}${Math.abs(v).toFixed(Math.max(digits, 1))}¢`}
                testId="bid-chart"
              />
            )}
        </div>
      </Card>

      <Card title="History">
        <ol class="space-y-3" data-testid="bid-history">
          {data.history.map((h, i) => (
            <li key={i} class="flex flex-wrap items-baseline gap-x-3 gap-y-1 text-sm" data-history-to={h.to}>
              <time datetime={h.at} class="shrink-0 whitespace-nowrap tabular-nums text-slate-500 sm:w-40">
                {formatUserTime(timeZone, h.at)}
              </time>
              <span class="flex items-center gap-1.5">
                {h.from ? <BidStatusBadge status={h.from} /> : <span class="text-xs text-slate-500">created</span>}
                <span aria-hidden="true" class="text-slate-400">→</span>
                <span class="sr-only">to</span>
                <BidStatusBadge status={h.to} />
              </span>
              <span class="text-slate-600">
                by {actor(h)}
                {historyDetails(h, units) && <span class="ml-1 text-slate-500">· {historyDetails(h, units)}</span>}
              </span>
            </li>
          ))}
        </ol>
      </Card>
    </div>
  );
});
