import { type FreshContext, page } from "fresh";
import { Button, Card, type FieldErrors, Notice } from "../../../../components/Form.tsx";
import { mw, usd } from "../../../../components/bid_format.ts";
import { HttpError } from "../../../../framework/http_error.ts";
import StorageSchedule from "../../../../islands/StorageSchedule.tsx";
import { bidDeps, caller } from "../../../../server/bids_http.ts";
import { toHttpError } from "../../../../server/errors.ts";
import { formObject, redirect, signedIn } from "../../../../server/pages.ts";
import { getAsset } from "../../../../services/assets/store.ts";
import { can } from "../../../../services/auth/rbac.ts";
import { addDays } from "../../../../services/market/clock.ts";
import { formatMarketClock, formatUserTime, marketClock } from "../../../../services/market/market_time.ts";
import { operatingDate } from "../../../../services/market/zones.ts";
import { createOptimisedBids, optimiseAsset } from "../../../../services/optimize/actions.ts";
import { type Optimisation, type OptimiseRequest, optimiseRequest } from "../../../../services/optimize/schemas.ts";
import { define, type State } from "../../../../utils.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The form's fields: states of charge in %, as the asset page shows them; the API takes fractions. */
const FIELDS = {
  delivery_date: "Delivery day",
  soc_start: "State of charge at the start (%)",
  soc_end: "Least state of charge at the end (%)",
  max_cycles: "Most cycles in the day",
  degradation_cost: "Degradation cost ($/MWh)",
} as const;
type FieldName = keyof typeof FIELDS;

function requestOf(
  values: Record<string, string>,
): { ok: true; req: OptimiseRequest } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const input: Record<string, unknown> = { delivery_date: values.delivery_date?.trim() ?? "" };
  for (const k of ["soc_start", "soc_end", "max_cycles", "degradation_cost"] as const) {
    const raw = values[k]?.trim();
    if (!raw) continue;
    const n = Number(raw);
    if (!Number.isFinite(n)) errors[k] = `${FIELDS[k]} must be a number`;
    else input[k] = k === "soc_start" || k === "soc_end" ? n / 100 : n;
  }
  const r = optimiseRequest.safeParse(input);
  if (!r.success) {
    for (const issue of r.error.issues) {
      const k = String(issue.path[0] ?? "_form") as FieldName;
      const range = k === "soc_start" || k === "soc_end"
        ? "from 0 to 100"
        : k === "max_cycles"
        ? "from 0 to 24"
        : "0 or more";
      errors[k] ??= k === "delivery_date" ? "Pick a delivery day (YYYY-MM-DD)" : `${FIELDS[k]} must be ${range}`;
    }
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, req: r.data! };
}

interface Data {
  asset: Awaited<ReturnType<typeof getAsset>>;
  values: Record<string, string>;
  errors: FieldErrors;
  result: Optimisation | null;
  timeZone: string;
  canCreate: boolean;
}

async function load(
  ctx: FreshContext<State>,
  values: Record<string, string> | null,
  errors: FieldErrors = {},
): Promise<{ data: Data; status: number }> {
  const p = signedIn(ctx);
  if (!UUID.test(ctx.params.id)) throw new HttpError(404, "No such asset");
  const db = ctx.state.services.db();
  const asset = await getAsset(db, p.orgId, ctx.params.id);
  if (asset.kind !== "storage") throw new HttpError(404, "Only storage assets are optimised");
  const prefs = await ctx.state.services.auth.profile.preferences(p.userId);
  const data: Data = {
    asset,
    values: values ?? {
      delivery_date: addDays(operatingDate(asset.zone, new Date()), 1),
      soc_start: String(Math.round(asset.min_soc! * 1e4) / 100),
      soc_end: "",
      max_cycles: "1",
      degradation_cost: "0",
    },
    errors,
    result: null,
    timeZone: prefs.time_zone ?? "UTC",
    canCreate: can(p.role, "bids:write"),
  };
  if (values && !Object.keys(errors).length) {
    const parsed = requestOf(values);
    if (!parsed.ok) return { data: { ...data, errors: parsed.errors }, status: 400 };
    try {
      data.result = await optimiseAsset(db, p.orgId, asset.id, parsed.req);
    } catch (e) {
      const http = toHttpError(e);
      if (!http || http.status >= 500) throw e;
      return { data: { ...data, errors: { _form: http.message } }, status: http.status };
    }
  }
  return { data, status: Object.keys(errors).length ? 400 : 200 };
}

export const handler = define.handlers({
  async GET(ctx) {
    const q = ctx.url.searchParams;
    const values = q.has("delivery_date")
      ? Object.fromEntries(Object.keys(FIELDS).map((k) => [k, q.get(k) ?? ""]))
      : null;
    const { data, status } = await load(ctx, values);
    return page(data, { status });
  },
  /** "Create bids": the day optimised again at the latest forecast, its curves written as drafts in one batch. */
  async POST(ctx) {
    const p = signedIn(ctx);
    if (!can(p.role, "bids:write")) throw new HttpError(403, "Creating bids needs the bids:write permission");
    if (!UUID.test(ctx.params.id)) throw new HttpError(404, "No such asset");
    const form = await formObject(ctx.req);
    const values = Object.fromEntries(Object.keys(FIELDS).map((k) => [k, form[k] ?? ""]));
    const parsed = requestOf(values);
    if (!parsed.ok) {
      const { data } = await load(ctx, values, parsed.errors);
      return page(data, { status: 400 });
    }
    try {
      const out = await createOptimisedBids(bidDeps(ctx), caller(ctx, p), ctx.params.id, parsed.req);
      return redirect(`/assets/${ctx.params.id}?done=bids-created&count=${out.value.items.length}`);
    } catch (e) {
      const http = toHttpError(e);
      if (!http || http.status >= 500) throw e;
      const { data } = await load(ctx, values);
      const failed: Data = { ...data, errors: { _form: http.message } };
      return page(failed, { status: http.status });
    }
  },
});

export default define.page<typeof handler>(function Optimise({ data }) {
  const { asset, result, values, errors } = data;
  const zone = asset.zone;
  const clock = marketClock(zone).short;
  const hidden = Object.keys(FIELDS).map((k) => <input key={k} type="hidden" name={k} value={values[k] ?? ""} />);
  return (
    <div class="space-y-6">
      <header>
        <p class="text-sm">
          <a href="/assets" class="text-brand-600 hover:underline">Assets</a>
          {" / "}
          <a href={`/assets/${asset.id}`} class="text-brand-600 hover:underline">{asset.name}</a>
        </p>
        <h1 class="text-2xl font-bold tracking-tight">Optimise {asset.name}</h1>
        <p class="mt-1 text-sm text-slate-600">
          The schedule that earns most at{" "}
          {zone}'s latest day-ahead price forecast, within the battery's limits ({asset.charge_mw} /{" "}
          {asset.discharge_mw} MW, {asset.energy_mwh} MWh, {asset.round_trip_efficiency! * 100}% round trip,{" "}
          {asset.min_soc! * 100}–{asset.max_soc! * 100}% state of charge), and its day-ahead bids.
        </p>
      </header>
      {errors._form && <Notice kind="error">{errors._form}</Notice>}
      <Card title="Delivery day">
        <form method="get" class="grid gap-3 sm:grid-cols-2 lg:grid-cols-6" noValidate data-testid="optimise-form">
          {(Object.keys(FIELDS) as FieldName[]).map((k) => (
            <div key={k} class={`space-y-1 ${k === "delivery_date" ? "lg:col-span-2" : ""}`}>
              <label for={`f-${k}`} class="block text-sm font-medium text-slate-700">{FIELDS[k]}</label>
              <input
                id={`f-${k}`}
                name={k}
                type={k === "delivery_date" ? "date" : "text"}
                inputMode={k === "delivery_date" ? undefined : "decimal"}
                value={values[k] ?? ""}
                placeholder={k === "soc_end"
                  ? "as at the start"
                  : k === "max_cycles"
                  ? "no limit"
                  : k === "degradation_cost"
                  ? "0"
                  : undefined}
                aria-invalid={errors[k] ? "true" : undefined}
                class={`block w-full rounded-md border px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 ${
                  errors[k] ? "border-red-400 focus:ring-red-200" : "border-slate-300 focus:ring-brand-100"
                }`}
              />
              {errors[k] && <p class="text-sm text-red-700">{errors[k]}</p>}
            </div>
          ))}
          <div class="flex items-end">
            <Button>Optimise</Button>
          </div>
        </form>
      </Card>
      {result && (
        <>
          <div class="grid gap-6 lg:grid-cols-3">
            <Card title="Expected revenue">
              <dl class="grid grid-cols-2 gap-x-4 gap-y-2 text-sm tabular-nums" data-testid="optimise-summary">
                <dt class="text-slate-500">At the forecast</dt>
                <dd class="text-lg font-semibold text-emerald-700" data-testid="expected-revenue">
                  {usd(result.expected_revenue)}
                </dd>
                <dt class="text-slate-500">Energy</dt>
                <dd>{usd(result.energy_revenue)}</dd>
                <dt class="text-slate-500">Degradation</dt>
                <dd>{usd(-result.degradation_total)}</dd>
                <dt class="text-slate-500">Cycles</dt>
                <dd>{result.cycles.toFixed(2)}</dd>
                <dt class="text-slate-500">Forecast</dt>
                <dd>
                  {result.forecast.model.name} v{result.forecast.model.version}, made{" "}
                  {formatUserTime(data.timeZone, result.forecast.made_at)}
                </dd>
              </dl>
            </Card>
            <div class="min-w-0 lg:col-span-2">
              <Card
                title={`Schedule, ${result.delivery_date}`}
                description={`Forecast price with its 10–90 % band; charge (−) and discharge (+) per hour, and the state of charge (${clock}).`}
              >
                <StorageSchedule zone={zone} hours={result.hours} socStartMwh={result.soc_start_mwh} />
              </Card>
            </div>
          </div>
          <Card
            title="Day-ahead bids"
            description="One curve per planned hour: a discharge offer priced at what the energy cost at the least, a charge bid at what it can be resold for at the most (from the forecast's 10/90 % quantiles), so the battery does not act when the price is on the wrong side."
          >
            {result.curves.length === 0
              ? <p class="text-sm text-slate-600">The best schedule leaves the battery idle: nothing to bid.</p>
              : (
                <div class="space-y-4">
                  <div class="-mx-5 overflow-x-auto">
                    <table class="min-w-full text-sm tabular-nums" data-testid="optimise-curves">
                      <thead class="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
                        <tr>
                          <th class="px-5 py-2 font-medium">Hour ({clock})</th>
                          <th class="px-3 py-2 font-medium">Side</th>
                          <th class="px-3 py-2 text-right font-medium">MW</th>
                          <th class="px-3 py-2 text-right font-medium">Price</th>
                          <th class="hidden px-5 py-2 text-right font-medium sm:table-cell">Forecast</th>
                        </tr>
                      </thead>
                      <tbody class="divide-y divide-slate-100">
                        {result.curves.map((c) => {
                          const h = result.hours.find((x) => Date.parse(x.start) === Date.parse(c.interval_start));
                          return (
                            <tr key={c.interval_start}>
                              <td class="whitespace-nowrap px-5 py-1.5">{formatMarketClock(zone, c.interval_start)}</td>
                              <td class="px-3 py-1.5">{c.side === "offer" ? "Discharge offer" : "Charge bid"}</td>
                              <td class="whitespace-nowrap px-3 py-1.5 text-right">{mw(c.segments[0].quantity)}</td>
                              <td class="whitespace-nowrap px-3 py-1.5 text-right">
                                {c.side === "offer" ? "≥ " : "≤ "}
                                {usd(c.segments[0].price)}
                              </td>
                              <td class="hidden px-5 py-1.5 text-right text-slate-500 sm:table-cell">
                                {h ? usd(h.price) : "—"}
                              </td>
                            </tr>
                          );
                        })}
                      </tbody>
                    </table>
                  </div>
                  {data.canCreate && (
                    <form method="post" data-testid="create-bids" class="flex flex-wrap items-center gap-3">
                      {hidden}
                      <Button>Create {result.curves.length} draft bids</Button>
                      <span class="text-sm text-slate-600">
                        Written in one batch as drafts, optimised again at the latest forecast; submit them on Bidding.
                      </span>
                    </form>
                  )}
                </div>
              )}
          </Card>
        </>
      )}
    </div>
  );
});
