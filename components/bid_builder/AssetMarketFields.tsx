/** The asset (its zone and size come with it) and the market. */
import type { BuilderAsset } from "../bid_form.ts";
import { findLocation, VIRTUAL_RULES } from "../../services/bids/virtual_rules.ts";
import { ISOS, ZONES } from "../../services/market/zones.ts";
import { Choice, control, FieldErrors, Labelled } from "./fields.tsx";
import type { BidFormState } from "./use_bid_form.ts";

/** `canVirtual`: the organization has virtual bids; without them there is no kind to choose. */
export function AssetMarketFields(
  { bid, assets, canVirtual = true }: { bid: BidFormState; assets: BuilderAsset[]; canVirtual?: boolean },
) {
  const { form, asset, pickAsset, pickMarket, pickKind } = bid;
  const err = (key: string) => bid.errors[key];
  const zoneRules = ZONES[bid.zone];
  const virtual = form.kind === "virtual";
  return (
    <div class="grid gap-4 sm:grid-cols-2">
      {(canVirtual || virtual) && (
        <fieldset class="space-y-1 sm:col-span-2">
          <legend class="block text-sm font-medium text-slate-700">Kind</legend>
          <div class="grid grid-cols-2 gap-2" role="radiogroup" data-testid="bid-kind">
            <Choice
              name="kind"
              value="physical"
              checked={!virtual}
              disabled={!assets.length}
              onChange={() => pickKind("physical")}
              label="Physical"
              detail={assets.length ? "an asset's offer or bid" : "no assets yet"}
            />
            <Choice
              name="kind"
              value="virtual"
              checked={virtual}
              onChange={() => pickKind("virtual")}
              label="Virtual"
              detail="INC / DEC at a hub"
            />
          </div>
        </fieldset>
      )}
      {virtual
        ? <VirtualFields bid={bid} />
        : (
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
        )}

      <fieldset class="space-y-1">
        <legend class="block text-sm font-medium text-slate-700">Market</legend>
        <div class="grid grid-cols-2 gap-2" role="radiogroup">
          {(["DA", "RT"] as const).map((m) => (
            <Choice
              key={m}
              name="market"
              value={m}
              checked={form.market === m}
              disabled={virtual && m === "RT"}
              onChange={() => pickMarket(m)}
              label={m === "DA" ? "Day-ahead" : "Real-time"}
              detail={m === "DA"
                ? (virtual ? "hourly; liquidated at RT" : "hourly")
                : virtual
                ? "virtual bids are DA"
                : `${zoneRules.rtIntervalMinutes}-minute`}
            />
          ))}
        </div>
        <FieldErrors id="bb-market-errors" field="market" messages={err("market")} />
      </fieldset>
    </div>
  );
}

const dollars = (v: number) => `${v < 0 ? "−" : ""}$${Math.abs(v).toLocaleString("en-US")}`;

/** A virtual bid's zone and pricing location (the zone's hubs and zones; any node where the zone allows). */
function VirtualFields({ bid }: { bid: BidFormState }) {
  const { form, update, pickZone } = bid;
  const err = (key: string) => bid.errors[key];
  const rules = VIRTUAL_RULES[form.zone];
  const listed = rules ? findLocation(rules, form.location) : undefined;
  return (
    <>
      <Labelled id="bb-zone" label="Zone" errors={err("zone")} field="zone">
        <select
          id="bb-zone"
          name="zone"
          class={control(err("zone"))}
          aria-invalid={err("zone") ? "true" : undefined}
          onChange={(e) => pickZone(e.currentTarget.value as typeof form.zone)}
        >
          {ISOS.map((z) => <option key={z} value={z} selected={z === form.zone}>{z}</option>)}
        </select>
        {rules && (
          <p class="text-xs text-slate-500" data-testid="virtual-rules">
            {rules.product}: at least {rules.minQuantityMw} MW a segment, {dollars(rules.priceFloor)} to{" "}
            {dollars(rules.priceCap)}/MWh
          </p>
        )}
      </Labelled>
      <Labelled id="bb-location" label="Location" errors={err("location")} field="location">
        <input
          id="bb-location"
          name="location"
          list="bb-locations"
          value={form.location}
          maxLength={64}
          autocomplete="off"
          class={control(err("location"))}
          aria-invalid={err("location") ? "true" : undefined}
          onInput={(e) => update({ location: e.currentTarget.value }, ["location"])}
        />
        <datalist id="bb-locations">
          {(rules?.locations ?? []).map((l) => <option key={l.name} value={l.name}>{l.kind}</option>)}
        </datalist>
        <p class="text-xs text-slate-500">
          {listed ? `${listed.kind} of ${form.zone}` : rules?.nodesEligible ? "a node, as the ISO spells it" : ""}
          {rules && !rules.nodesEligible ? ` · ${form.zone} takes its listed ${rules.locations[0].kind}s only` : ""}
        </p>
      </Labelled>
    </>
  );
}
