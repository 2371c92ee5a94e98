/**
 * Forecast averaging across members (windows, model classes). Equal weights need nothing but the
 * members; learnt weights come only from the days before the forecast day: for day t they are
 * computed from the members' errors on days t − lookback … t − 1, so the combination of day t is
 * unchanged by anything at or after t (the prices of t included). Series are day-major (24 per day).
 */
import { HOURS } from "./features.ts";

/** Hour-by-hour weighted mean; weights are normalised to sum 1. */
export function weightedMean(members: readonly ArrayLike<number>[], weights: readonly number[]): Float64Array {
  if (members.length === 0 || members.length !== weights.length) throw new RangeError("one weight per member");
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new RangeError("weights must have a positive sum");
  const out = new Float64Array(members[0].length);
  members.forEach((m, k) => {
    const w = weights[k] / total;
    for (let i = 0; i < out.length; i++) out[i] += w * m[i];
  });
  return out;
}

/** MAE of a member over the days [from, to) of day-major series. */
function maeOver(actual: ArrayLike<number>, f: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let i = from * HOURS; i < to * HOURS; i++) s += Math.abs(actual[i] - f[i]);
  return s / ((to - from) * HOURS);
}

export type CombineMethod =
  /** Every member the same weight. */
  | { kind: "equal" }
  /** Weights ∝ 1 / MAE^power over the last `lookback` days. */
  | { kind: "inverseMae"; lookback: number; power?: number }
  /**
   * The same, hour by hour: the weights of hour h ∝ 1 / MAE^power of that hour over the last `lookback`
   * days, since which model class is better differs between night and peak hours.
   */
  | { kind: "inverseMaeByHour"; lookback: number; power?: number }
  /**
   * Two members (or two pre-averaged groups): the convex weight of the first, on a grid of `steps`
   * + 1 points in [0, 1], with the least MAE over the last `lookback` days (ties: the one nearest ½).
   */
  | { kind: "bestConvex"; lookback: number; steps?: number };

/** MAE of a member at hour `h` over the days [from, to). */
function maeAtHour(actual: ArrayLike<number>, f: ArrayLike<number>, h: number, from: number, to: number): number {
  let s = 0;
  for (let d = from; d < to; d++) s += Math.abs(actual[d * HOURS + h] - f[d * HOURS + h]);
  return s / (to - from);
}

/** The weights of each hour of day `t` (24 lists, one weight per member): from days before t only. */
export function hourWeightsForDay(
  actual: ArrayLike<number>,
  members: readonly ArrayLike<number>[],
  t: number,
  method: CombineMethod,
): number[][] {
  if (method.kind !== "inverseMaeByHour") {
    const w = weightsForDay(actual, members, t, method);
    return Array.from({ length: HOURS }, () => w);
  }
  const from = Math.max(0, t - method.lookback);
  const p = method.power ?? 1;
  return Array.from(
    { length: HOURS },
    (_, h) =>
      t - from < 1
        ? members.map(() => 1)
        : members.map((m) => 1 / Math.max(maeAtHour(actual, m, h, from, t), 1e-12) ** p),
  );
}

/** The weights for day `t` (index into the series' days): from days before t only. */
export function weightsForDay(
  actual: ArrayLike<number>,
  members: readonly ArrayLike<number>[],
  t: number,
  method: CombineMethod,
): number[] {
  const equal = members.map(() => 1);
  if (method.kind === "equal") return equal;
  if (method.kind === "inverseMaeByHour") throw new RangeError("inverseMaeByHour weighs each hour: hourWeightsForDay");
  const from = Math.max(0, t - method.lookback);
  if (t - from < 1) return equal;
  if (method.kind === "inverseMae") {
    const p = method.power ?? 1;
    return members.map((m) => 1 / Math.max(maeOver(actual, m, from, t), 1e-12) ** p);
  }
  if (members.length !== 2) throw new RangeError("bestConvex combines two members");
  const steps = method.steps ?? 20;
  let best = 0.5, bestErr = Infinity;
  const [a, b] = members;
  for (let s = 0; s <= steps; s++) {
    const w = s / steps;
    let err = 0;
    for (let i = from * HOURS; i < t * HOURS; i++) err += Math.abs(actual[i] - (w * a[i] + (1 - w) * b[i]));
    if (err < bestErr - 1e-12 || (Math.abs(err - bestErr) <= 1e-12 && Math.abs(w - 0.5) < Math.abs(best - 0.5))) {
      best = w;
      bestErr = err;
    }
  }
  return [best, 1 - best];
}

/** The walk-forward combination of every day of the series, each day with its own past-only weights. */
export function combineWalkForward(
  actual: ArrayLike<number>,
  members: readonly ArrayLike<number>[],
  method: CombineMethod,
): Float64Array {
  const days = members[0].length / HOURS;
  const out = new Float64Array(members[0].length);
  for (let t = 0; t < days; t++) {
    const weights = hourWeightsForDay(actual, members, t, method);
    for (let h = 0; h < HOURS; h++) {
      const i = t * HOURS + h;
      out[i] = weightedMean(members.map((m) => [m[i]]), weights[h])[0];
    }
  }
  return out;
}
