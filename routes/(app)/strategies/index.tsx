import { page } from "fresh";
import type { FreshContext } from "fresh";
import { Card, type FieldErrors, Notice } from "../../../components/Form.tsx";
import { KIND_LABELS, StrategyForm } from "../../../components/StrategyForm.tsx";
import { strategyErrorsOf, strategyFromForm } from "../../../components/strategy_form.ts";
import { caller } from "../../../server/bids_http.ts";
import { toHttpError } from "../../../server/errors.ts";
import { formObject, redirect, signedIn } from "../../../server/pages.ts";
import type { AssetView } from "../../../services/assets/schemas.ts";
import { listAssets } from "../../../services/assets/store.ts";
import type { Principal } from "../../../services/auth/principal.ts";
import { can } from "../../../services/auth/rbac.ts";
import { createStrategy } from "../../../services/strategies/actions.ts";
import type { StrategyView } from "../../../services/strategies/schema.ts";
import { strategiesPage } from "../../../services/strategies/store.ts";
import { define, type State } from "../../../utils.ts";

interface Data {
  strategies: StrategyView[];
  assets: AssetView[];
  canWrite: boolean;
  values: Record<string, string>;
  errors: FieldErrors;
  notice: string | null;
}

const DONE: Record<string, string> = { deleted: "Strategy deleted." };

async function load(ctx: FreshContext<State>, p: Principal, extra: Partial<Data> = {}): Promise<Data> {
  const db = ctx.state.services.db();
  const [strategies, assets] = await Promise.all([
    strategiesPage(db, p.orgId, { limit: 500 }),
    listAssets(db, p.orgId),
  ]);
  return {
    strategies: strategies.items,
    assets,
    canWrite: can(p.role, "bids:write"),
    values: {},
    errors: {},
    notice: null,
    ...extra,
  };
}

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    return page<Data>(await load(ctx, p, { notice: DONE[ctx.url.searchParams.get("done") ?? ""] ?? null }));
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const values = await formObject(ctx.req);
    const parsed = strategyFromForm(values);
    if (!parsed.ok) return page<Data>(await load(ctx, p, { values, errors: parsed.errors }), { status: 400 });
    try {
      const s = await createStrategy(ctx.state.services.db(), caller(ctx, p), parsed.data);
      return redirect(`/strategies/${s.id}?done=created`);
    } catch (e) {
      const http = toHttpError(e);
      if (!http || http.status >= 500) throw e;
      const details = Array.isArray(http.options.details) ? http.options.details : [];
      const errors = details.length ? strategyErrorsOf(details) : { _form: http.message };
      return page<Data>(await load(ctx, p, { values, errors }), { status: http.status });
    }
  },
});

export default define.page<typeof handler>(function Strategies({ data }) {
  return (
    <div class="mx-auto max-w-5xl space-y-6">
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Strategies</h1>
        <p class="mt-1 text-sm text-slate-600">
          Saved recipes that make an asset's day-ahead bids every day, a set time before its zone's gate — once per day,
          as drafts or submitted (bids the approval policy catches wait for an approver).
        </p>
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      <Card title={`Strategies (${data.strategies.length})`}>
        {data.strategies.length === 0
          ? <p class="text-sm text-slate-600">No strategies yet{data.canWrite ? ": add one below." : "."}</p>
          : (
            <ul class="-mx-5 divide-y divide-slate-100 border-t border-slate-200" data-testid="strategy-list">
              {data.strategies.map((s) => (
                <li key={s.id}>
                  <a
                    href={`/strategies/${s.id}`}
                    class="flex flex-wrap items-center justify-between gap-2 px-5 py-3 hover:bg-slate-50"
                  >
                    <div class="min-w-0">
                      <p class="font-medium">{s.name}</p>
                      <p class="truncate text-xs text-slate-500">
                        {KIND_LABELS[s.kind] ?? s.kind} · {s.asset_name} · {s.zone}
                      </p>
                    </div>
                    <p class="text-sm text-slate-700">
                      {s.enabled ? `${s.lead_minutes} min before the gate` : "disabled"} ·{" "}
                      {s.submit ? "submits" : "drafts"}
                    </p>
                  </a>
                </li>
              ))}
            </ul>
          )}
      </Card>
      {data.canWrite && (
        <Card title="New strategy">
          {data.assets.length
            ? (
              <StrategyForm
                assets={data.assets}
                values={data.values}
                errors={data.errors}
                action="create"
                submitLabel="Save strategy"
              />
            )
            : <p class="text-sm text-slate-600">Add an asset first (Assets).</p>}
        </Card>
      )}
    </div>
  );
});
