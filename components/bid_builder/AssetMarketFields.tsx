/** The asset (its zone and size come with it) and the market. */
import type { BuilderAsset } from "../bid_form.ts";
import { ZONES } from "../../services/market/zones.ts";
import { Choice, control, FieldErrors, Labelled } from "./fields.tsx";
import type { BidFormState } from "./use_bid_form.ts";

export function AssetMarketFields({ bid, assets }: { bid: BidFormState; assets: BuilderAsset[] }) {
  const { form, asset, pickAsset, pickMarket } = bid;
  const err = (key: string) => bid.errors[key];
  const zoneRules = ZONES[bid.zone];
  return (
    <div class="grid gap-4 sm:grid-cols-2">
      <Labelled id="bb-asset" label="Asset" errors={err("asset_id") ?? err("zone")} field="asset_id">
        <select
          id="bb-asset"
          name="asset_id"
          class={control(err("asset_id") ?? err("zone"))}
          aria-invalid={err("asset_id") || err("zone") ? "true" : undefined}
          aria-describedby="bb-asset-hint bb-asset-errors"
          onChange={(e) => pickAsset(e.currentTarget.value)}
        >
          {assets.map((a) => (
            <option key={a.id} value={a.id} selected={a.id === form.assetId}>
              {a.name} · {a.site_name}
            </option>
          ))}
        </select>
        {asset && (
          <p id="bb-asset-hint" class="text-xs text-slate-500" data-testid="asset-zone">
            Zone <span class="font-semibold text-slate-700">{asset.zone}</span> (the asset's) · {asset.kind} ·{" "}
            {asset.kind === "storage"
              ? `discharge ${asset.discharge_mw ?? asset.capacity_mw} MW, charge ${
                asset.charge_mw ?? asset.capacity_mw
              } MW`
              : `${asset.capacity_mw} MW`}
          </p>
        )}
      </Labelled>

      <fieldset class="space-y-1">
        <legend class="block text-sm font-medium text-slate-700">Market</legend>
        <div class="grid grid-cols-2 gap-2" role="radiogroup">
          {(["DA", "RT"] as const).map((m) => (
            <Choice
              key={m}
              name="market"
              value={m}
              checked={form.market === m}
              onChange={() => pickMarket(m)}
              label={m === "DA" ? "Day-ahead" : "Real-time"}
              detail={m === "DA" ? "hourly" : `${zoneRules.rtIntervalMinutes}-minute`}
            />
          ))}
        </div>
        <FieldErrors id="bb-market-errors" field="market" messages={err("market")} />
      </fieldset>
    </div>
  );
}
