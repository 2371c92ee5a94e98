/**
 * Price alert evaluation, pure and in memory: alerts indexed by zone and market, each tick checked only
 * against the alerts of its zone and market, with no I/O (the figures it compares with — the DA price of
 * the hour, the hour-of-week baseline, the forecast — come from `AlertContext`, which the service keeps in
 * memory). Time comes from the caller.
 *
 * Hysteresis: a condition that became true stays true until its value is back past the threshold by
 * `hysteresis` (a price hovering at $100 ± 0.5 with an "above 100" alert and hysteresis 1 is one crossing).
 * An alert fires when its combination (all/any) turns true, and not again within `cooldown` of its last
 * firing; while it stays true it does not fire again at all.
 */
import type { PriceTick } from "../market/types.ts";
import type { AlertChannel, Condition } from "./schema.ts";

export interface AlertDef {
  id: string;
  orgId: string;
  userId: string;
  name: string;
  zones: readonly string[];
  market: "DA" | "RT";
  combine: "all" | "any";
  conditions: readonly Condition[];
  hysteresis: number;
  cooldownMs: number;
  channels: readonly AlertChannel[];
  lastFiredAt: number | null;
  /** Changes when the definition does: state is kept across reloads only for the same version. */
  version: string;
}

export interface Baseline {
  median: number;
  /** Median absolute deviation. */
  mad: number;
}

export interface AlertContext {
  /** DA price of the hour starting at `hourMs`. */
  daPrice(zone: string, hourMs: number): number | undefined;
  /** Latest RT price seen within the hour starting at `hourMs`. */
  rtPrice(zone: string, hourMs: number): number | undefined;
  baseline(zone: string, market: string, hourOfWeek: number): Baseline | undefined;
  /** The forecast median for the hour starting at `hourMs`. */
  forecast(zone: string, hourMs: number): number | undefined;
}

export interface Firing {
  alert: AlertDef;
  tick: PriceTick;
  /** What each condition saw, for the history and the message. */
  observed: Record<string, number | null>;
  at: number;
}

interface State {
  def: AlertDef;
  latched: boolean[];
  active: boolean;
  lastFiredAt: number | null;
}

const HOUR = 3_600_000;

/** Hour of the week in UTC, Monday 00:00 = 0. */
export function hourOfWeek(ms: number): number {
  const d = new Date(ms);
  return ((d.getUTCDay() + 6) % 7) * 24 + d.getUTCHours();
}

/** Median and MAD of a sample (null when empty). */
export function robustBaseline(values: number[]): Baseline | null {
  if (!values.length) return null;
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const median = med(values);
  return { median, mad: med(values.map((v) => Math.abs(v - median))) };
}

/** Robust z-score; a flat baseline (MAD 0) gives none rather than infinity. */
export function robustZ(value: number, b: Baseline): number | null {
  if (b.mad <= 0) return null;
  return (value - b.median) / (1.4826 * b.mad);
}

/** Conditions that compare the same value share it within a tick. */
const valueKey = (c: Condition) => (c.kind === "price_above" || c.kind === "price_below" ? "price" : c.kind);

/** The value a condition compares, or null when its data is missing. */
function valueOf(c: Condition, t: PriceTick, start: number, ctx: AlertContext): number | null {
  switch (c.kind) {
    case "price_above":
    case "price_below":
      return t.lmp;
    case "spread_above": {
      const hour = Math.floor(start / HOUR) * HOUR;
      const da = t.market === "DA" ? t.lmp : ctx.daPrice(t.zone, hour);
      const rt = t.market === "RT" ? t.lmp : ctx.rtPrice(t.zone, hour);
      return da === undefined || rt === undefined ? null : da - rt;
    }
    case "spike": {
      const b = ctx.baseline(t.zone, t.market, hourOfWeek(start));
      return b ? robustZ(t.lmp, b) : null;
    }
    case "forecast_miss": {
      const f = ctx.forecast(t.zone, Math.floor(start / HOUR) * HOUR);
      return f === undefined ? null : Math.abs(t.lmp - f);
    }
  }
}

/** Whether the condition holds, given whether it held before (hysteresis). */
export function holds(c: Condition, v: number | null, latched: boolean, h: number): boolean {
  if (v === null) return false;
  switch (c.kind) {
    case "price_below":
      return latched ? v < c.level + h : v < c.level;
    case "price_above":
    case "spread_above":
      return latched ? v > c.level - h : v > c.level;
    case "spike":
      return latched ? v > c.k - h : v > c.k;
    case "forecast_miss":
      return latched ? v > c.amount - h : v > c.amount;
  }
}

export class AlertIndex {
  #byKey = new Map<string, State[]>();
  #states = new Map<string, State>();

  get size(): number {
    return this.#states.size;
  }

  /** Replaces the alerts; one whose definition is unchanged keeps its state (latches, cooldown). */
  load(defs: readonly AlertDef[]): void {
    const next = new Map<string, State>();
    const byKey = new Map<string, State[]>();
    for (const def of defs) {
      const old = this.#states.get(def.id);
      const lastFiredAt = Math.max(def.lastFiredAt ?? -Infinity, old?.lastFiredAt ?? -Infinity);
      const state: State = old && old.def.version === def.version
        ? { ...old, def, lastFiredAt: Number.isFinite(lastFiredAt) ? lastFiredAt : null }
        : { def, latched: def.conditions.map(() => false), active: false, lastFiredAt: def.lastFiredAt };
      next.set(def.id, state);
      for (const z of def.zones) {
        const k = `${z}|${def.market}`;
        let list = byKey.get(k);
        if (!list) byKey.set(k, list = []);
        list.push(state);
      }
    }
    this.#states = next;
    this.#byKey = byKey;
  }

  /** Checks one tick against its zone's alerts; returns the ones that fire now. */
  evaluate(t: PriceTick, ctx: AlertContext, now: number): Firing[] {
    const list = this.#byKey.get(`${t.zone}|${t.market}`);
    if (!list) return [];
    const start = Date.parse(t.interval_start);
    const out: Firing[] = [];
    // Per tick, a condition's value is the same for every alert: computed once per kind.
    const cache = new Map<string, number | null>();
    for (const s of list) {
      const { def } = s;
      let any = false;
      let all = true;
      for (let i = 0; i < def.conditions.length; i++) {
        const c = def.conditions[i];
        const k = valueKey(c);
        let v = cache.get(k);
        if (v === undefined) cache.set(k, v = valueOf(c, t, start, ctx));
        const now_ = holds(c, v, s.latched[i], def.hysteresis);
        s.latched[i] = now_;
        any ||= now_;
        all &&= now_;
      }
      const on = def.combine === "all" ? all : any;
      if (on && !s.active) {
        const cooled = s.lastFiredAt === null || now - s.lastFiredAt >= def.cooldownMs;
        if (cooled) {
          s.lastFiredAt = now;
          const observed: Record<string, number | null> = { price: t.lmp };
          def.conditions.forEach((c) => (observed[c.kind] = cache.get(valueKey(c)) ?? null));
          out.push({ alert: def, tick: t, observed, at: now });
        }
      }
      s.active = on;
    }
    return out;
  }
}
