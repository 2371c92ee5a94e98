/**
 * The live forecasts' accuracy over the last days, as figures with what each one means, or why there
 * are none yet. Rendered by the ForecastAccuracy island; no script of its own.
 */
import type { ForecastAccuracy } from "./forecast_api.ts";
import { formatPrice, type PriceUnit } from "../services/market/units.ts";

const num = (v: number, digits: number) => v.toFixed(digits);

export function ForecastAccuracyView({ acc, days, priceUnit = "$/MWh" }: {
  /** undefined while loading, null when it could not be read. */
  acc: ForecastAccuracy | null | undefined;
  days: number;
  /** The viewer's price unit (/settings): the MAE is a price. */
  priceUnit?: PriceUnit;
}) {
  if (acc === undefined) {
    return <p class="text-sm text-slate-500" data-testid="forecast-accuracy" data-accuracy="loading">Loading…</p>;
  }
  if (acc === null) {
    return (
      <p class="text-sm text-slate-500" data-testid="forecast-accuracy" data-accuracy="failed">
        The accuracy figures could not be loaded.
      </p>
    );
  }
  if (acc.mae === null) {
    return (
      <p class="text-sm text-slate-600" data-testid="forecast-accuracy" data-accuracy="none">
        Not enough history yet: the figures need days whose forecast was made before the gate and whose DA prices have
        come since.
      </p>
    );
  }
  const rows: [string, string, string, string][] = [
    ["mae", "MAE", formatPrice(acc.mae, priceUnit), "mean absolute error of the median"],
    [
      "rmae",
      "rMAE",
      acc.rmae === null ? "—" : num(acc.rmae, 3),
      "MAE relative to the weekly naive forecast (below 1 is better)",
    ],
    ["smape", "sMAPE", acc.smape === null ? "—" : `${num(acc.smape * 100, 1)} %`, "symmetric mean absolute % error"],
    [
      "coverage",
      "Coverage",
      acc.coverage_80 === null ? "—" : `${num(acc.coverage_80 * 100, 0)} %`,
      "prices inside the 10–90 % band (nominal 80 %)",
    ],
  ];
  return (
    <div data-testid="forecast-accuracy" data-accuracy="shown">
      <dl class="grid grid-cols-2 gap-3 sm:grid-cols-4">
        {rows.map(([key, label, value, hint]) => (
          <div key={key} class="rounded-lg bg-slate-50 px-3 py-2 ring-1 ring-slate-200" title={hint}>
            <dt class="text-xs font-medium text-slate-500">{label}</dt>
            <dd class="mt-0.5 text-lg font-semibold tabular-nums text-slate-900" data-figure={key}>{value}</dd>
          </div>
        ))}
      </dl>
      <p class="mt-3 text-xs text-slate-500">
        Live forecasts of {acc.n_days} {acc.n_days === 1 ? "day" : "days"} ({acc.n_hours} hours) in the last {days}{" "}
        days, against the DA prices that came. rMAE: against the weekly naive forecast (Tue–Fri the day before, Sat–Mon
        a week before); coverage: share of prices inside the 10–90 % band, nominal 80 %.
      </p>
    </div>
  );
}
