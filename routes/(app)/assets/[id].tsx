import { type FreshContext, page } from "fresh";
import type { z } from "zod";
import { Button, Card, type FieldErrors, Notice } from "../../../components/Form.tsx";
import {
  ASSET_LABELS,
  AssetFields,
  assetForm,
  asValues,
  CONFIRM_DELETE,
  DeleteCard,
} from "../../../components/AssetForms.tsx";
import { formErrorsOf, formObject, parseForm, redirect } from "../../../server/pages.ts";
import { toHttpError } from "../../../server/errors.ts";
import { can } from "../../../services/auth/rbac.ts";
import { deleteAsset, updateAsset } from "../../../services/assets/actions.ts";
import type { assetInput } from "../../../services/assets/schemas.ts";
import { listSites } from "../../../services/assets/store.ts";
import type { Principal } from "../../../services/auth/principal.ts";
import { PnlTable } from "../../../components/PnlTable.tsx";
import { signedIn } from "../../../server/pages.ts";
import { listReadings } from "../../../services/assets/meter_store.ts";
import { getAsset } from "../../../services/assets/store.ts";
import { deviationRevenue, pnl } from "../../../services/bids/pnl.ts";
import { mw, usd } from "../../../components/bid_format.ts";
import { listBids } from "../../../services/bids/store.ts";
import { define, type State } from "../../../utils.ts";
import { formatMarketInterval, formatUserTime, marketClock } from "../../../services/market/market_time.ts";
import { formatEnergy, unitsOf } from "../../../services/market/units.ts";
import { type Iso, operatingDate } from "../../../services/market/zones.ts";
import { addDays } from "../../../services/market/clock.ts";
import { HttpError } from "../../../framework/http_error.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAYS = 30;
const READINGS = 24;

/** Which form failed, with what, and the values to show again; or the notice of a finished one. */
interface FormState {
  form?: "edit" | "delete";
  errors: FieldErrors;
  values?: Record<string, string>;
  notice?: string;
}

const DONE: Record<string, string> = {
  saved: "Asset saved.",
  "bids-created": "Draft bids created from the optimised schedule: review and submit them on Bidding.",
};

async function load(ctx: FreshContext<State>, p: Principal, state: FormState = { errors: {} }) {
  if (!UUID.test(ctx.params.id)) throw new HttpError(404, "No such asset");
  const db = ctx.state.services.db();
  const asset = await getAsset(db, p.orgId, ctx.params.id);
  const to = new Date(Date.now() + 3 * 86_400_000);
  const from = new Date(Date.now() - DAYS * 86_400_000);
  const [bids, profit, readings, deviation, prefs, sites] = await Promise.all([
    listBids(db, p.orgId, { asset_id: asset.id, limit: 50 }),
    pnl(db, p.orgId, { from, to, groupBy: "market_day", asset_id: asset.id }),
    listReadings(db, p.orgId, asset.id, { limit: READINGS, newestFirst: true }),
    deviationRevenue(db, p.orgId, { from, to, asset_id: asset.id }),
    ctx.state.services.auth.profile.preferences(p.userId),
    listSites(db, p.orgId) as Promise<{ id: string; name: string; zone: string }[]>,
  ]);
  const display = { timeZone: prefs.time_zone ?? "UTC", units: unitsOf(prefs) };
  return {
    asset,
    bids: bids.items,
    profit,
    readings,
    deviation,
    display,
    sites,
    canWrite: can(p.role, "assets:write"),
    tomorrow: addDays(operatingDate(asset.zone, new Date()), 1),
    ...state,
  };
}

/** A delete is confirmed on the form itself (a box to tick), so it works without JavaScript. */

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const done = ctx.url.searchParams.get("done") ?? "";
    const count = Number(ctx.url.searchParams.get("count"));
    // The count is only echoed as a number: nothing else from the query reaches the page.
    const notice = done === "bids-created" && Number.isInteger(count) && count > 0 && count <= 500
      ? `${count} ${DONE[done].replace(/^Draft bids/, "draft bids")}`
      : DONE[done];
    return page(await load(ctx, p, { errors: {}, notice }));
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    if (!UUID.test(ctx.params.id)) throw new HttpError(404, "No such asset");
    const values = await formObject(ctx.req);
    const action = values._action === "delete" ? "delete" : "edit";
    delete values._action;
    const db = ctx.state.services.db();
    const actor = { principal: p, ip: ctx.state.ip };
    try {
      if (action === "delete") {
        if (values.confirm !== "yes") {
          return page(await load(ctx, p, { form: "delete", errors: { _form: CONFIRM_DELETE } }), { status: 400 });
        }
        await deleteAsset(db, actor, ctx.params.id);
        return redirect("/assets?done=asset-deleted");
      }
      const parsed = parseForm(assetForm, values, ASSET_LABELS);
      if (!parsed.ok) return page(await load(ctx, p, { form: "edit", errors: parsed.errors, values }), { status: 400 });
      await updateAsset(db, actor, ctx.params.id, parsed.data as z.infer<typeof assetInput>);
      return redirect(`/assets/${ctx.params.id}?done=saved`);
    } catch (e) {
      // A refusal (the asset has bids, a name taken) comes back on the form that asked, with its reason.
      return page(await load(ctx, p, { form: action, errors: formErrorsOf(e), values }), {
        status: toHttpError(e)?.status ?? 400,
      });
    }
  },
});

const STATUS_STYLE: Record<string, string> = {
  draft: "bg-slate-100 text-slate-700",
  submitted: "bg-brand-50 text-brand-700",
  cleared: "bg-emerald-50 text-emerald-700",
  settled: "bg-emerald-100 text-emerald-800",
  rejected: "bg-rose-50 text-rose-700",
  withdrawn: "bg-amber-50 text-amber-800",
};

export default define.page<typeof handler>(function AssetDetail({ data }) {
  const { asset, display } = data;
  const zone = asset.zone as Iso;
  const clock = marketClock(zone).short;
  const spec: [string, string | null][] = [
    ["Kind", asset.kind],
    ["Site", `${asset.site_name} · ${asset.zone} · ${asset.node}`],
    ["Capacity", `${asset.capacity_mw} MW`],
    ["Energy", asset.energy_mwh === null ? null : formatEnergy(asset.energy_mwh, display.units.energy)],
    ["Charge / discharge", asset.charge_mw === null ? null : `${asset.charge_mw} / ${asset.discharge_mw} MW`],
    ["Round-trip efficiency", asset.round_trip_efficiency === null ? null : `${asset.round_trip_efficiency * 100}%`],
    ["State of charge", asset.min_soc === null ? null : `${asset.min_soc * 100}% – ${(asset.max_soc ?? 0) * 100}%`],
  ];
  return (
    <div class="space-y-6">
      <header>
        <p class="text-sm">
          <a href="/assets" class="text-brand-600 hover:underline">Assets</a>
        </p>
        <h1 class="text-2xl font-bold tracking-tight">{asset.name}</h1>
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      <div class="grid gap-6 lg:grid-cols-3">
        <Card title="Asset">
          <dl class="grid grid-cols-2 gap-x-4 gap-y-2 text-sm">
            {spec.filter(([, v]) => v !== null).map(([k, v]) => [
              <dt key={`${k}-t`} class="text-slate-500">{k}</dt>,
              <dd key={`${k}-d`}>{v}</dd>,
            ])}
          </dl>
        </Card>
        <div class="min-w-0 lg:col-span-2">
          <Card
            title={`P&L, last ${DAYS} days`}
            description={`Settled bids of this asset, by operating day (${zone}, ${clock}).`}
          >
            <PnlTable items={data.profit.items} total={data.profit.total} first="Day" energy={display.units.energy} />
          </Card>
        </div>
      </div>
      {asset.kind === "storage" && (
        <Card
          title="Optimise"
          description="The schedule that earns most at the zone's day-ahead price forecast, within this battery's limits, and its bids."
        >
          <form
            method="get"
            action={`/assets/${asset.id}/optimise`}
            class="flex flex-wrap items-end gap-3"
            data-testid="optimise-day"
          >
            <div class="space-y-1">
              <label for="optimise-date" class="block text-sm font-medium text-slate-700">Delivery day</label>
              <input
                id="optimise-date"
                name="delivery_date"
                type="date"
                value={data.tomorrow}
                class="block rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 focus:ring-brand-100"
              />
            </div>
            <input type="hidden" name="soc_start" value={String(Math.round((asset.min_soc ?? 0) * 1e4) / 100)} />
            <input type="hidden" name="max_cycles" value="1" />
            <Button>Optimise</Button>
          </form>
        </Card>
      )}
      <Card
        title="Metering"
        description="Net injection as metered: + generation or discharge, − consumption or charge. A day-ahead position settles its deviation from it at the real-time price."
      >
        <div class="space-y-4" data-testid="meter-readings">
          <dl class="grid grid-cols-[1fr_auto] gap-x-4 gap-y-1 text-sm tabular-nums sm:grid-cols-[auto_1fr]">
            <dt class="text-slate-500">Deviation revenue, last {DAYS} days</dt>
            <dd
              data-testid="deviation-revenue"
              class={`font-semibold ${data.deviation.revenue < 0 ? "text-rose-600" : "text-emerald-700"}`}
            >
              {usd(data.deviation.revenue)}
            </dd>
            <dt class="text-slate-500">Settled day-ahead bids</dt>
            <dd>{data.deviation.bids}</dd>
          </dl>
          {data.readings.length === 0
            ? (
              <p class="text-sm text-slate-600">
                No meter readings yet: send them with{" "}
                <code class="break-all text-xs">PUT /api/assets/{asset.id}/meter-readings</code>.
              </p>
            )
            : (
              <div class="-mx-5 overflow-x-auto">
                <table class="min-w-full text-sm tabular-nums">
                  <thead class="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
                    <tr>
                      <th class="px-5 py-2 font-medium">Interval ({clock})</th>
                      <th class="px-5 py-2 text-right font-medium sm:px-3">Metered</th>
                      <th class="hidden px-5 py-2 text-right font-medium sm:table-cell">Recorded</th>
                    </tr>
                  </thead>
                  <tbody class="divide-y divide-slate-100">
                    {data.readings.map((r) => (
                      <tr key={r.interval_start}>
                        <td class="whitespace-nowrap px-5 py-1.5">
                          {formatMarketInterval(zone, r.interval_start, r.interval_end)}
                        </td>
                        <td class={`px-5 py-1.5 text-right sm:px-3 ${r.mw < 0 ? "text-rose-600" : ""}`}>{mw(r.mw)}</td>
                        <td class="hidden whitespace-nowrap px-5 py-1.5 text-right text-slate-500 sm:table-cell">
                          {formatUserTime(display.timeZone, r.recorded_at)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
        </div>
      </Card>
      <Card title="Bids">
        {data.bids.length === 0
          ? <p class="text-sm text-slate-600">No bids for this asset yet.</p>
          : (
            <div class="-mx-5 overflow-x-auto">
              <table class="min-w-full text-sm tabular-nums">
                <thead class="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
                  <tr>
                    <th class="px-5 py-2 font-medium">Delivery ({clock})</th>
                    <th class="px-3 py-2 font-medium">Market</th>
                    <th class="px-3 py-2 font-medium">Status</th>
                    <th class="hidden px-3 py-2 text-right font-medium sm:table-cell">Awarded</th>
                    <th class="px-5 py-2 text-right font-medium">Revenue</th>
                  </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                  {data.bids.map((b) => (
                    <tr key={b.id}>
                      <td class="whitespace-nowrap px-5 py-1.5">
                        <a class="text-brand-600 hover:underline" href={`/bidding/${b.id}`}>
                          {formatMarketInterval(zone, b.interval_start, b.interval_end)}
                        </a>
                      </td>
                      <td class="px-3 py-1.5">{b.market} {b.side}</td>
                      <td class="px-3 py-1.5">
                        <span class={`rounded px-1.5 py-0.5 text-xs font-medium ${STATUS_STYLE[b.status] ?? ""}`}>
                          {b.status}
                        </span>
                      </td>
                      <td class="hidden px-3 py-1.5 text-right sm:table-cell">
                        {b.awarded_mw === null ? "—" : `${b.awarded_mw} MW`}
                      </td>
                      <td class="px-5 py-1.5 text-right">
                        {b.revenue === null ? "—" : usd(b.revenue)}
                        {b.market === "DA" && b.status === "settled" && (
                          // A settled DA position's RT revenue is its metered deviation.
                          <span class="block text-xs text-slate-500">deviation {usd(b.rt_revenue)}</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </Card>
      {data.canWrite && (
        <div class="grid gap-6 lg:grid-cols-3">
          <div class="min-w-0 lg:col-span-2">
            <Card title="Edit asset" id="edit">
              <form method="post" class="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" noValidate data-testid="asset-edit">
                <input type="hidden" name="_action" value="edit" />
                <AssetFields
                  sites={data.sites}
                  values={data.form === "edit" && data.values ? data.values : asValues(asset)}
                  errors={data.form === "edit" ? data.errors : {}}
                />
                <div class="flex items-end">
                  <Button>Save asset</Button>
                </div>
              </form>
            </Card>
          </div>
          <DeleteCard
            title="Delete asset"
            id="delete"
            description="Only an asset without bids can be deleted: its bids are the record of what was offered."
            testId="asset-delete"
            name={asset.name}
            error={data.form === "delete" ? data.errors._form : undefined}
          />
        </div>
      )}
    </div>
  );
});
