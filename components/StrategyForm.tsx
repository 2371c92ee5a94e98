/** The strategy form (create and edit): posts without JavaScript; kind-specific fields say which kind they serve. */
import type { ComponentChildren } from "preact";
import type { AssetView } from "../services/assets/schemas.ts";
import { Button, Checkbox, Field, type FieldErrors, Select } from "./Form.tsx";

export const KIND_LABELS: Record<string, string> = {
  fixed_curve: "Fixed curve",
  forecast_following: "Forecast-following",
  battery_arbitrage: "Battery arbitrage (optimiser)",
};

function Area(props: { name: string; label: string; value?: string; error?: string; hint?: string }) {
  const id = `f-${props.name}`;
  return (
    <div class="space-y-1">
      <label for={id} class="block text-sm font-medium text-slate-700">{props.label}</label>
      <textarea
        id={id}
        name={props.name}
        rows={4}
        aria-invalid={props.error ? "true" : undefined}
        class="block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm shadow-sm"
      >
        {props.value ?? ""}
      </textarea>
      {props.hint && <p class="text-xs text-slate-500">{props.hint}</p>}
      {props.error && <p class="text-sm text-red-600" data-field-error={props.name}>{props.error}</p>}
    </div>
  );
}

function Fieldset(props: { legend: string; children: ComponentChildren }) {
  return (
    <fieldset class="space-y-4 rounded-lg border border-slate-200 p-4">
      <legend class="px-1 text-sm font-semibold text-slate-700">{props.legend}</legend>
      {props.children}
    </fieldset>
  );
}

/** The optimiser's optional limits: name, label, what an empty field means. */
const ARBITRAGE_FIELDS: readonly [name: string, label: string, hint: string][] = [
  ["max_cycles", "Most full cycles a day", "Empty: no limit"],
  ["degradation_cost", "Degradation ($/MWh of throughput)", "Empty: 0"],
  ["soc_start_pct", "State of charge at the day's start (%)", "Empty: the asset's minimum"],
  ["soc_end_pct", "Least state of charge at its end (%)", "Empty: as at the start"],
];

export function StrategyForm(props: {
  assets: readonly AssetView[];
  values: Record<string, string>;
  errors: FieldErrors;
  action: string;
  submitLabel: string;
  version?: number;
}) {
  const v = props.values;
  const e = props.errors;
  return (
    <form method="post" class="space-y-5" data-testid="strategy-form">
      <input type="hidden" name="_action" value={props.action} />
      {props.version !== undefined && <input type="hidden" name="version" value={String(props.version)} />}
      {e._form && <p class="text-sm text-red-600" role="alert">{e._form}</p>}
      <div class="grid gap-4 sm:grid-cols-2">
        <Field name="name" label="Name" value={v.name} error={e.name} required maxLength={100} />
        <Select
          name="asset_id"
          label="Asset"
          value={v.asset_id}
          error={e.asset_id}
          options={props.assets.map((a) => ({ value: a.id, label: `${a.name} (${a.kind}, ${a.zone})` }))}
        />
        <Select
          name="kind"
          label="Kind"
          value={v.kind}
          error={e.kind}
          options={Object.entries(KIND_LABELS).map(([value, label]) => ({ value, label }))}
        />
        <Select
          name="side"
          label="Side"
          value={v.side}
          error={e.side}
          options={[{ value: "offer", label: "Offer (sell / discharge)" }, {
            value: "bid",
            label: "Bid (buy / charge)",
          }]}
        />
        <Field
          name="lead_minutes"
          label="Run this many minutes before the DA gate"
          type="number"
          value={v.lead_minutes ?? "60"}
          error={e.lead_minutes}
          hint="5 – 1440; it runs once a day for the next delivery day"
        />
      </div>
      <Fieldset legend="Fixed curve">
        <Area
          name="curve"
          label="Curve: one segment a line, “price $/MWh, MW”"
          value={v.curve}
          error={e.curve}
          hint="Offers rise in price, bids fall; e.g. 30, 5 ↵ 45, 5"
        />
        <Field name="hours" label="Hours (hour ending)" value={v.hours} error={e.hours} hint="e.g. 7-22; empty: all" />
      </Fieldset>
      <Fieldset legend="Forecast-following">
        <div class="grid gap-4 sm:grid-cols-3">
          <Field
            name="margin"
            label="Margin ($/MWh)"
            value={v.margin}
            error={e.margin}
            hint="Above the forecast for offers, below for bids"
          />
          <Select
            name="basis"
            label="Forecast"
            value={v.basis ?? "p50"}
            error={e.basis}
            options={[["p50", "P50 (median)"], ["p10", "P10"], ["p90", "P90"]].map(([value, label]) => ({
              value,
              label,
            }))}
          />
          <Field
            name="quantity_pct"
            label="Share of the asset's power (%)"
            value={v.quantity_pct ?? "100"}
            error={e.quantity_pct}
          />
        </div>
      </Fieldset>
      <Fieldset legend="Battery arbitrage (storage assets)">
        <div class="grid gap-4 sm:grid-cols-2">
          {ARBITRAGE_FIELDS.map(([name, label, hint]) => (
            <Field key={name} name={name} label={label} value={v[name]} error={e[name]} hint={hint} />
          ))}
        </div>
      </Fieldset>
      <div class="space-y-2">
        <Checkbox
          name="submit"
          label="Submit the bids (else drafts), if the approval policy allows"
          checked={v.submit === "on"}
        />
        <input type="hidden" name="_posted" value="1" />
        <Checkbox
          name="enabled"
          label="Enabled (runs on its schedule)"
          checked={v._posted ? v.enabled === "on" : v.enabled !== ""}
        />
      </div>
      <Button>{props.submitLabel}</Button>
    </form>
  );
}
