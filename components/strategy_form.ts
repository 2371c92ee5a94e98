/**
 * The strategy form's fields ↔ a strategy (services/strategies/schema.ts): a curve typed as lines of
 * "price, MW", hours as "7-22" or "1, 2, 3", the share of power in %. Pure, so it is tested on its own.
 */
import { type StrategyInput, strategyInput, type StrategyView } from "../services/strategies/schema.ts";
import type { FieldErrors } from "./Form.tsx";

/** The form field each part of the strategy is typed in. */
const FIELD: Record<string, string> = {
  "params.segments": "curve",
  "params.hours": "hours",
  "params.margin": "margin",
  "params.quantity_share": "quantity_pct",
  "params.basis": "basis",
  "params.side": "side",
  "params.max_cycles": "max_cycles",
  "params.degradation_cost": "degradation_cost",
  "params.soc_start": "soc_start_pct",
  "params.soc_end": "soc_end_pct",
};

function fieldOf(path: readonly PropertyKey[]): string {
  const two = path.slice(0, 2).join(".");
  return FIELD[two] ?? String(path[0] ?? "_form");
}

/** "30, 5\n45, 5" → segments; a line that is not two numbers stays NaN, and the schema names it. */
function curveOf(text: string) {
  return text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).map((l) => {
    const [price, quantity, ...rest] = l.split(/[,;\s]+/);
    return rest.length ? { price: NaN, quantity: NaN } : { price: Number(price), quantity: Number(quantity) };
  });
}

/** "7-22" → 7…22; "1, 3, 5" → [1, 3, 5]; "" → undefined (every hour). */
function hoursOf(text: string): number[] | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const out: number[] = [];
  for (const part of t.split(/\s*,\s*/)) {
    const m = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (m) { for (let h = Number(m[1]); h <= Number(m[2]) && out.length < 25; h++) out.push(h); }
    else out.push(Number(part));
  }
  return out;
}

const num = (v: string | undefined) => v === undefined || v.trim() === "" ? undefined : Number(v);

export function strategyFromForm(
  v: Record<string, string>,
): { ok: true; data: StrategyInput } | { ok: false; errors: FieldErrors } {
  const common = {
    name: v.name ?? "",
    asset_id: v.asset_id ?? "",
    kind: v.kind,
    lead_minutes: num(v.lead_minutes),
    submit: v.submit === "on",
    enabled: v.enabled === "on",
  };
  const pct = num(v.quantity_pct);
  const share = (x: number | undefined) => x === undefined ? undefined : x / 100;
  const input = v.kind === "fixed_curve"
    ? { ...common, params: { side: v.side, segments: curveOf(v.curve ?? ""), hours: hoursOf(v.hours ?? "") } }
    : v.kind === "battery_arbitrage"
    ? {
      ...common,
      params: {
        max_cycles: num(v.max_cycles),
        degradation_cost: num(v.degradation_cost),
        soc_start: share(num(v.soc_start_pct)),
        soc_end: share(num(v.soc_end_pct)),
      },
    }
    : {
      ...common,
      params: {
        side: v.side,
        margin: num(v.margin) ?? 0,
        basis: v.basis || undefined,
        quantity_share: share(pct),
      },
    };
  const r = strategyInput.safeParse(input);
  if (r.success) return { ok: true, data: r.data };
  const errors: FieldErrors = {};
  for (const issue of r.error.issues) {
    const field = fieldOf(issue.path);
    errors[field] ??= issue.message;
  }
  return { ok: false, errors };
}

const percent = (x: number) => String(Number((x * 100).toFixed(4)));

/** A saved strategy as the form's values (to edit it). */
export function formOfStrategy(s: StrategyView): Record<string, string> {
  const p = s.params as Record<string, unknown>;
  const segments = (p.segments ?? []) as { price: number; quantity: number }[];
  return {
    name: s.name,
    asset_id: s.asset_id,
    kind: s.kind,
    side: String(p.side ?? "offer"),
    lead_minutes: String(s.lead_minutes),
    submit: s.submit ? "on" : "",
    enabled: s.enabled ? "on" : "",
    curve: segments.map((x) => `${x.price}, ${x.quantity}`).join("\n"),
    hours: Array.isArray(p.hours) ? (p.hours as number[]).join(", ") : "",
    margin: p.margin === undefined ? "" : String(p.margin),
    basis: String(p.basis ?? "p50"),
    quantity_pct: typeof p.quantity_share === "number" ? percent(p.quantity_share) : "100",
    max_cycles: p.max_cycles === undefined ? "" : String(p.max_cycles),
    degradation_cost: p.degradation_cost === undefined ? "" : String(p.degradation_cost),
    soc_start_pct: typeof p.soc_start === "number" ? percent(p.soc_start) : "",
    soc_end_pct: typeof p.soc_end === "number" ? percent(p.soc_end) : "",
  };
}

/** Form errors from a refusal's details (`params.segments` → the curve field). */
export function strategyErrorsOf(details: readonly { path?: string; message?: string }[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const d of details) {
    const path = (d.path ?? "").replace(/^body\./, "").split(".");
    errors[fieldOf(path)] ??= d.message;
  }
  return errors;
}
