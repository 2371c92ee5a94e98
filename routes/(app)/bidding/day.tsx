import { page } from "fresh";
import { Card } from "../../../components/Form.tsx";
import DayGrid, { type DayAsset } from "../../../islands/DayGrid.tsx";
import { signedIn } from "../../../server/pages.ts";
import { listAssets } from "../../../services/assets/store.ts";
import { can } from "../../../services/auth/rbac.ts";
import { type PriceUnit, unitsOf } from "../../../services/market/units.ts";
import { define } from "../../../utils.ts";

interface Data {
  canWrite: boolean;
  canForecast: boolean;
  assets: DayAsset[];
  now: string;
  priceUnit: PriceUnit;
}

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const [assets, prefs] = await Promise.all([
      listAssets(ctx.state.services.db(), p.orgId),
      ctx.state.services.auth.profile.preferences(p.userId),
    ]);
    return page<Data>({
      canWrite: can(p.role, "bids:write"),
      canForecast: can(p.role, "forecast:read"),
      // What the grid's rules need of each asset (services/bids/feasibility.ts StorageLimits), nothing more.
      assets: assets.map((a) => ({
        id: a.id,
        name: a.name,
        kind: a.kind,
        zone: a.zone,
        capacity_mw: a.capacity_mw,
        charge_mw: a.charge_mw,
        discharge_mw: a.discharge_mw,
        energy_mwh: a.energy_mwh,
        round_trip_efficiency: a.round_trip_efficiency,
        min_soc: a.min_soc,
        max_soc: a.max_soc,
      })),
      now: new Date().toISOString(),
      priceUnit: unitsOf(prefs).price,
    });
  },
});

export default define.page<typeof handler>(function BidDay({ data }) {
  return (
    <div class="space-y-6">
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Bid a day</h1>
        <p class="mt-1 text-sm text-slate-600">
          A whole day-ahead operating day for one asset, hour-ending in the zone's market clock, sent as one batch:
          every hour is submitted, or none is. <a class="text-brand-700 underline" href="/bidding">One bid at a time</a>
        </p>
      </header>
      {data.canWrite
        ? (
          <Card title="Day grid" id="day">
            <DayGrid
              assets={data.assets}
              now={data.now}
              canForecast={data.canForecast}
              priceUnit={data.priceUnit}
            />
          </Card>
        )
        : (
          <p class="rounded-md bg-slate-100 px-4 py-3 text-sm text-slate-700" data-testid="read-only">
            Your role can see bids but not create or change them.
          </p>
        )}
    </div>
  );
});
