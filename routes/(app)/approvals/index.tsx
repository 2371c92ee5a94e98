import { page } from "fresh";
import type { FreshContext } from "fresh";
import { BidStatusBadge } from "../../../components/BidStatusBadge.tsx";
import { Button, Card, Checkbox, Field, Notice } from "../../../components/Form.tsx";
import { curveSummary, mw } from "../../../components/bid_format.ts";
import { HttpError } from "../../../framework/http_error.ts";
import { bidDeps, caller } from "../../../server/bids_http.ts";
import { toHttpError } from "../../../server/errors.ts";
import { formObject, redirect, signedIn } from "../../../server/pages.ts";
import type { Principal } from "../../../services/auth/principal.ts";
import { can } from "../../../services/auth/rbac.ts";
import { approveBid, rejectBid } from "../../../services/bids/actions.ts";
import { getPolicy, pendingPage, savePolicy } from "../../../services/bids/approval.ts";
import {
  approvalPolicyInput,
  type ApprovalPolicyView,
  notionalValue,
  totalMw,
} from "../../../services/bids/approval_policy.ts";
import { submissionDeadline } from "../../../services/bids/schema.ts";
import type { BidView } from "../../../services/bids/store.ts";
import { rejectBody } from "../../../services/bids/views.ts";
import { formatMarketInterval, formatUserTime } from "../../../services/market/market_time.ts";
import { type Iso, ZONES } from "../../../services/market/zones.ts";
import { define, type State } from "../../../utils.ts";

interface Data {
  queue: BidView[];
  more: boolean;
  policy: ApprovalPolicyView;
  canEditPolicy: boolean;
  notice: string | null;
  error: string | null;
}

const DONE: Record<string, string> = {
  approved: "Approved: the bid went to the market.",
  rejected: "Rejected: its maker sees your reason in the bid's history.",
  policy: "Approval policy saved.",
};

async function load(ctx: FreshContext<State>, p: Principal, extra: Partial<Data> = {}): Promise<Data> {
  const db = ctx.state.services.db();
  const [queue, policy] = await Promise.all([
    pendingPage(db, p.orgId, { limit: 100, except_of: p.userId }),
    getPolicy(db, p.orgId),
  ]);
  return {
    queue: queue.items,
    more: queue.next_cursor !== null,
    policy,
    canEditPolicy: can(p.role, "org:update"),
    notice: null,
    error: null,
    ...extra,
  };
}

/** "" → null, else the number typed (the schema says whether it is a good one). */
const optionalNumber = (v: string | undefined) => v === undefined || v.trim() === "" ? null : Number(v);

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    return page<Data>(await load(ctx, p, { notice: DONE[ctx.url.searchParams.get("done") ?? ""] ?? null }));
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const v = await formObject(ctx.req);
    const version = /^\d+$/.test(v.version ?? "") ? Number(v.version) : undefined;
    try {
      if (v._action === "approve" || v._action === "reject") {
        if (!/^[0-9a-f-]{36}$/i.test(v.id ?? "")) throw new HttpError(400, "Which bid? The form had no bid id");
        if (v._action === "approve") await approveBid(bidDeps(ctx), caller(ctx, p), v.id, { version });
        else {
          const body = rejectBody.safeParse({ reason: v.reason ?? "", version });
          if (!body.success) throw new HttpError(400, "Give a reason for the rejection (1–500 characters)");
          await rejectBid(bidDeps(ctx), caller(ctx, p), v.id, body.data);
        }
        return redirect(`/approvals?done=${v._action === "approve" ? "approved" : "rejected"}`);
      }
      if (v._action === "policy") {
        if (!can(p.role, "org:update")) throw new HttpError(403, "Only admins set the approval policy");
        const input = approvalPolicyInput.safeParse({
          all_bids: v.all_bids === "on",
          above_mw: optionalNumber(v.above_mw),
          above_notional: optionalNumber(v.above_notional),
          strategy_bids: v.strategy_bids === "on",
          strategies_may_submit: v.strategies_may_submit === "on",
        });
        if (!input.success) {
          throw new HttpError(400, "Thresholds must be numbers ≥ 0 (MW to 3 decimals, $ to 2), or empty for none");
        }
        await savePolicy(ctx.state.services.db(), caller(ctx, p), input.data);
        return redirect("/approvals?done=policy");
      }
      throw new HttpError(400, `Unknown action "${v._action ?? ""}"`);
    } catch (e) {
      const http = e instanceof HttpError ? e : toHttpError(e);
      if (!http || http.status >= 500 || http.status === 404) throw e;
      return page<Data>(await load(ctx, p, { error: http.message }), { status: http.status });
    }
  },
});

function PendingRow({ bid }: { bid: BidView }) {
  const zone = bid.zone as Iso;
  const gate = submissionDeadline(zone, bid.market, bid.interval_start);
  return (
    <li class="space-y-3 py-4" data-testid="pending-bid" data-bid-id={bid.id}>
      <div class="flex flex-wrap items-start justify-between gap-2">
        <div class="min-w-0">
          <a href={`/bidding/${bid.id}`} class="font-medium text-brand-700 hover:underline">
            {bid.side === "offer" ? "Offer" : "Bid"} · {bid.asset_name}
          </a>
          <p class="text-sm text-slate-600">
            {zone} {bid.market} · {formatMarketInterval(zone, bid.interval_start, bid.interval_end)}
          </p>
          <p class="text-sm text-slate-600">
            {mw(totalMw(bid))} · notional ${notionalValue(bid).toFixed(2)} · {curveSummary(bid.segments)}
          </p>
          <p class="text-xs text-slate-500">
            by {bid.created_by_email ?? "a former member"}
            {bid.strategy_id ? " (strategy)" : ""} · gate {formatUserTime(ZONES[zone].gateTimeZone, gate)}
          </p>
        </div>
        <BidStatusBadge status={bid.status} />
      </div>
      <div class="flex flex-col gap-2 sm:flex-row sm:items-end">
        <form method="post">
          <input type="hidden" name="_action" value="approve" />
          <input type="hidden" name="id" value={bid.id} />
          <input type="hidden" name="version" value={String(bid.version)} />
          <Button>Approve</Button>
        </form>
        <form method="post" class="flex flex-1 flex-col gap-2 sm:flex-row sm:items-end">
          <input type="hidden" name="_action" value="reject" />
          <input type="hidden" name="id" value={bid.id} />
          <input type="hidden" name="version" value={String(bid.version)} />
          <label class="flex-1 text-sm">
            <span class="sr-only">Reason for rejecting</span>
            <input
              name="reason"
              required
              maxLength={500}
              placeholder="Reason for rejecting"
              class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm"
            />
          </label>
          <Button variant="danger">Reject</Button>
        </form>
      </div>
    </li>
  );
}

function PolicyForm({ policy, editable }: { policy: ApprovalPolicyView; editable: boolean }) {
  if (!editable) {
    const rules = [
      policy.all_bids && "every bid",
      policy.above_mw !== null && `bids above ${policy.above_mw} MW`,
      policy.above_notional !== null && `bids above $${policy.above_notional} notional`,
      policy.strategy_bids && "bids made by a strategy",
    ].filter(Boolean);
    return (
      <p class="text-sm text-slate-700" data-testid="policy-summary">
        {rules.length ? `Approval needed for: ${rules.join(", ")}.` : "No bid needs approval."}
      </p>
    );
  }
  return (
    <form method="post" class="space-y-4" data-testid="policy-form">
      <input type="hidden" name="_action" value="policy" />
      <Checkbox name="all_bids" label="Every bid needs approval" checked={policy.all_bids} />
      <div class="grid gap-4 sm:grid-cols-2">
        <Field
          name="above_mw"
          label="Above MW (total of the curve)"
          value={policy.above_mw === null ? "" : String(policy.above_mw)}
          hint="Empty: no MW rule"
        />
        <Field
          name="above_notional"
          label="Above notional value ($)"
          value={policy.above_notional === null ? "" : String(policy.above_notional)}
          hint="Σ MW × |price| × hours; empty: no value rule"
        />
      </div>
      <Checkbox name="strategy_bids" label="Bids made by a strategy need approval" checked={policy.strategy_bids} />
      <Checkbox
        name="strategies_may_submit"
        label="Strategies set to submit may submit (else their bids stay drafts)"
        checked={policy.strategies_may_submit}
      />
      <Button>Save policy</Button>
    </form>
  );
}

export default define.page<typeof handler>(function Approvals({ data }) {
  return (
    <div class="mx-auto max-w-5xl space-y-6">
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Approvals</h1>
        <p class="mt-1 text-sm text-slate-600">
          Bids waiting for a second person before they reach the market. Your own bids are not listed: another approver
          decides on them. A bid still waiting at its gate expires.
        </p>
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      {data.error && (
        <Notice kind="error">
          <p data-testid="action-error">{data.error}</p>
        </Notice>
      )}
      <Card title={`Waiting for you (${data.queue.length}${data.more ? "+" : ""})`}>
        {data.queue.length
          ? <ul class="divide-y divide-slate-100">{data.queue.map((b) => <PendingRow key={b.id} bid={b} />)}</ul>
          : <p class="text-sm text-slate-600" data-testid="queue-empty">Nothing waits for your approval.</p>}
      </Card>
      <Card title="Approval policy" description="Which bids of the organization need a second person.">
        <PolicyForm policy={data.policy} editable={data.canEditPolicy} />
      </Card>
    </div>
  );
});
