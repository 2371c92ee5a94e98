import { page } from "fresh";
import type { FreshContext } from "fresh";
import { Button, Card, type FieldErrors, Notice } from "../../../components/Form.tsx";
import { KIND_LABELS, StrategyForm } from "../../../components/StrategyForm.tsx";
import { formOfStrategy, strategyErrorsOf, strategyFromForm } from "../../../components/strategy_form.ts";
import { HttpError } from "../../../framework/http_error.ts";
import { bidDeps, caller } from "../../../server/bids_http.ts";
import { toHttpError } from "../../../server/errors.ts";
import { formObject, idParam, redirect, signedIn } from "../../../server/pages.ts";
import type { AssetView } from "../../../services/assets/schemas.ts";
import { listAssets } from "../../../services/assets/store.ts";
import type { Principal } from "../../../services/auth/principal.ts";
import { can } from "../../../services/auth/rbac.ts";
import { formatUserTime } from "../../../services/market/market_time.ts";
import { type Iso, nextGateClosure } from "../../../services/market/zones.ts";
import { deleteStrategy, editStrategy } from "../../../services/strategies/actions.ts";
import { runStrategy } from "../../../services/strategies/runner.ts";
import type { StrategyRunView, StrategyView } from "../../../services/strategies/schema.ts";
import { getStrategy, runsPage } from "../../../services/strategies/store.ts";
import { define, type State } from "../../../utils.ts";

interface Data {
  strategy: StrategyView;
  runs: StrategyRunView[];
  assets: AssetView[];
  canWrite: boolean;
  nextGate: { deliveryDate: string; closesAt: string; runsAt: string };
  timeZone: string;
  values: Record<string, string>;
  errors: FieldErrors;
  notice: string | null;
  error: string | null;
}

const DONE: Record<string, string> = {
  created: "Strategy saved. It runs on its schedule; “Run now” makes the next day's bids at once.",
  saved: "Strategy saved.",
  ran: "Run recorded: see the latest run below.",
  already: "The day's bids were already made by an earlier run (a day is made once).",
};

const strategyId = (ctx: FreshContext<State>) => idParam(ctx, "strategy");

async function load(ctx: FreshContext<State>, p: Principal, id: string, extra: Partial<Data> = {}): Promise<Data> {
  const { services } = ctx.state;
  const db = services.db();
  const strategy = await getStrategy(db, p.orgId, id);
  const [runs, assets, prefs] = await Promise.all([
    runsPage(db, p.orgId, id, { limit: 30 }),
    listAssets(db, p.orgId),
    services.auth.profile.preferences(p.userId),
  ]);
  const gate = nextGateClosure(strategy.zone as Iso, new Date());
  return {
    strategy,
    runs: runs.items,
    assets,
    canWrite: can(p.role, "bids:write"),
    nextGate: {
      deliveryDate: gate.deliveryDate,
      closesAt: gate.closesAt.toISOString(),
      runsAt: new Date(gate.closesAt.getTime() - strategy.lead_minutes * 60_000).toISOString(),
    },
    timeZone: prefs.time_zone ?? "UTC",
    values: formOfStrategy(strategy),
    errors: {},
    notice: null,
    error: null,
    ...extra,
  };
}

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const notice = DONE[ctx.url.searchParams.get("done") ?? ""] ?? null;
    return page<Data>(await load(ctx, p, strategyId(ctx), { notice }));
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const id = strategyId(ctx);
    const values = await formObject(ctx.req);
    const db = ctx.state.services.db();
    try {
      if (values._action === "run") {
        const deps = bidDeps(ctx);
        const out = await runStrategy({ db, kick: deps.bids.kick }, {
          orgId: p.orgId,
          strategyId: id,
          trigger: "manual",
          actorUserId: p.userId,
          ip: ctx.state.ip,
        });
        return redirect(`/strategies/${id}?done=${out.already ? "already" : "ran"}`);
      }
      if (values._action === "delete") {
        await deleteStrategy(db, caller(ctx, p), id);
        return redirect("/strategies?done=deleted");
      }
      if (values._action === "edit") {
        const parsed = strategyFromForm(values);
        if (!parsed.ok) return page<Data>(await load(ctx, p, id, { values, errors: parsed.errors }), { status: 400 });
        const version = /^\d+$/.test(values.version ?? "") ? Number(values.version) : 0;
        await editStrategy(db, caller(ctx, p), id, version, parsed.data);
        return redirect(`/strategies/${id}?done=saved`);
      }
      throw new HttpError(400, `Unknown action "${values._action ?? ""}"`);
    } catch (e) {
      const http = e instanceof HttpError ? e : toHttpError(e);
      if (!http || http.status >= 500 || (http.status === 404 && values._action !== "edit")) throw e;
      const details = Array.isArray(http.options.details) ? http.options.details : [];
      const extra = values._action === "edit"
        ? { values, errors: details.length ? strategyErrorsOf(details) : { _form: http.message } }
        : { error: http.message };
      return page<Data>(await load(ctx, p, id, extra), { status: http.status });
    }
  },
});

function RunRow({ run, timeZone }: { run: StrategyRunView; timeZone: string }) {
  return (
    <li class="py-3 text-sm" data-testid="strategy-run" data-outcome={run.outcome}>
      <div class="flex flex-wrap items-baseline justify-between gap-2">
        <p class="font-medium">
          {run.delivery_date} · {run.outcome === "created"
            ? `${run.bid_ids.length} bids (${(run.bid_status ?? "").replaceAll("_", " ")})`
            : "nothing made"}
        </p>
        <p class="text-xs text-slate-500">
          {run.trigger === "manual" ? "run now" : "schedule"} · {formatUserTime(timeZone, run.at)}
        </p>
      </div>
      {run.reason && <p class="text-slate-600">{run.reason}</p>}
      {run.outcome === "created" && run.bid_ids.length > 0 && (
        <p class="text-xs">
          <a class="text-brand-700 hover:underline" href={`/bidding/${run.bid_ids[0]}`}>First bid</a>
        </p>
      )}
    </li>
  );
}

export default define.page<typeof handler>(function Strategy({ data }) {
  const s = data.strategy;
  return (
    <div class="mx-auto max-w-5xl space-y-6">
      <nav class="text-sm">
        <a href="/strategies" class="font-medium text-brand-600 hover:underline">← Strategies</a>
      </nav>
      <header class="flex flex-wrap items-start justify-between gap-3">
        <div class="min-w-0">
          <h1 class="text-2xl font-bold tracking-tight">{s.name}</h1>
          <p class="mt-1 text-sm text-slate-600">
            {KIND_LABELS[s.kind] ?? s.kind} · {s.asset_name} · {s.zone} · owner {s.owner_email ?? "none"}
          </p>
        </div>
        {data.canWrite && (
          <form method="post">
            <input type="hidden" name="_action" value="run" />
            <Button>Run now</Button>
          </form>
        )}
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      {data.error && (
        <Notice kind="error">
          <p data-testid="action-error">{data.error}</p>
        </Notice>
      )}
      <Card title="Schedule">
        <p class="text-sm text-slate-700" data-testid="next-run">
          {s.enabled
            ? `Next: the ${data.nextGate.deliveryDate} day, at ${formatUserTime(data.timeZone, data.nextGate.runsAt)}` +
              ` (${s.lead_minutes} min before the gate at ${formatUserTime(data.timeZone, data.nextGate.closesAt)}).`
            : "Disabled: it runs only with “Run now”."} {s.submit ? "Submits its bids" : "Makes drafts"}.
        </p>
      </Card>
      <Card title="Runs">
        {data.runs.length
          ? (
            <ul class="divide-y divide-slate-100" data-testid="strategy-runs">
              {data.runs.map((r) => <RunRow key={r.id} run={r} timeZone={data.timeZone} />)}
            </ul>
          )
          : <p class="text-sm text-slate-600">No runs yet.</p>}
      </Card>
      {data.canWrite && (
        <>
          <Card title="Edit">
            <StrategyForm
              assets={data.assets}
              values={data.values}
              errors={data.errors}
              action="edit"
              submitLabel="Save changes"
              version={s.version}
            />
          </Card>
          <Card title="Delete" description="Its runs go with it; the bids it made stay.">
            <form method="post">
              <input type="hidden" name="_action" value="delete" />
              <Button variant="danger">Delete strategy</Button>
            </form>
          </Card>
        </>
      )}
    </div>
  );
});
