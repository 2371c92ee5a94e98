/**
 * The storage day as a linear programme, solved exactly by HiGHS.
 *
 * Variables per hour t (N hours): c_t charge MW ∈ [0, charge_mw], d_t discharge MW ∈ [0, discharge_mw],
 * s_t state of charge at the end of hour t, MWh ∈ [min_soc·E, max_soc·E] (the last hour's lower bound
 * raised to soc_end·E). Rows:
 *   balance t:  s_t − s_{t−1} − η·c_t + d_t/η = 0      (s_{−1} = soc_start·E, moved to the right side)
 *   cycles:     Σ d_t/η ≤ max_cycles · E · (max_soc − min_soc)          (only when max_cycles is given)
 * Objective: maximise Σ p_t·(d_t − c_t) − k·(c_t + d_t), k the degradation cost.
 * η = √RTE on each side, so a MWh charged comes back as RTE MWh: the loss is counted once per round
 * trip, not once per side.
 *
 * Charging and discharging in the same hour wastes energy, which the LP does only when that pays: at a
 * negative price (and a degradation cost below it). A bid cannot ask for both (services/bids/feasibility.ts),
 * so when the LP's answer does it, the day is solved again as a MIP with one binary per hour (charge or
 * discharge, not both): still exact, and only on the rare days that need it.
 */
import { invalid } from "../errors.ts";
import type { Highs } from "./highs.ts";
import type { PlanHour, StorageDayInput, StoragePlan } from "./types.ts";

/** MW and MWh below this are solver noise (HiGHS' feasibility tolerance is 1e-7). */
const NOISE = 1e-7;

export function checkInput(input: StorageDayInput): void {
  const a = input.asset;
  const n = input.forecast.length;
  if (n === 0) throw invalid("The forecast has no hours to optimise", { code: "invalid_forecast" });
  const positive = { charge_mw: a.charge_mw, discharge_mw: a.discharge_mw, energy_mwh: a.energy_mwh };
  for (const [k, v] of Object.entries(positive)) {
    if (!(Number.isFinite(v) && v > 0)) throw invalid(`The asset's ${k} must be above 0 (got ${v})`);
  }
  if (!(a.round_trip_efficiency > 0 && a.round_trip_efficiency <= 1)) {
    throw invalid(`The asset's round_trip_efficiency must be in (0, 1] (got ${a.round_trip_efficiency})`);
  }
  if (!(a.min_soc >= 0 && a.max_soc <= 1 && a.min_soc < a.max_soc)) {
    throw invalid(`The asset's state-of-charge limits must satisfy 0 ≤ min_soc < max_soc ≤ 1`);
  }
  for (const k of ["soc_start", "soc_end"] as const) {
    const v = input[k];
    if (!(v >= a.min_soc && v <= a.max_soc)) {
      throw invalid(`${k} ${v} is outside the asset's state-of-charge limits [${a.min_soc}, ${a.max_soc}]`, {
        code: "soc_out_of_range",
      });
    }
  }
  if (input.max_cycles !== undefined && !(input.max_cycles >= 0 && Number.isFinite(input.max_cycles))) {
    throw invalid(`max_cycles must be a finite number ≥ 0 (got ${input.max_cycles})`);
  }
  const k = input.degradation_cost ?? 0;
  if (!(k >= 0 && Number.isFinite(k))) throw invalid(`degradation_cost must be a finite number ≥ 0 (got ${k})`);
  input.forecast.forEach((h, i) => {
    if (!Number.isFinite(h.price)) throw invalid(`forecast.${i}.price must be a finite number`);
  });
}

/** Builds and solves the day; `binaries` adds the one-side-per-hour integer variables (MIP). */
function solve(h: Highs, input: StorageDayInput, binaries: boolean) {
  const a = input.asset;
  const n = input.forecast.length;
  const e = a.energy_mwh;
  const eta = Math.sqrt(a.round_trip_efficiency);
  const k = input.degradation_cost ?? 0;
  const hasCycles = input.max_cycles !== undefined;
  // Columns: c_0..c_{n−1}, d_0..d_{n−1}, s_0..s_{n−1}, then (MIP) u_0..u_{n−1} (1 = may charge).
  // Rows: balance 0..n−1, [cycles], then (MIP) c_t − P_c·u_t ≤ 0 and d_t + P_d·u_t ≤ P_d per hour.
  const nCols = (binaries ? 4 : 3) * n;
  const cyclesRow = hasCycles ? n : -1;
  const firstLink = n + (hasCycles ? 1 : 0);
  const nRows = firstLink + (binaries ? 2 * n : 0);

  const cost = new Float64Array(nCols);
  const lower = new Float64Array(nCols);
  const upper = new Float64Array(nCols);
  const rowLower = new Float64Array(nRows);
  const rowUpper = new Float64Array(nRows);
  const starts = new Int32Array(nCols + 1);
  const indices: number[] = [];
  const values: number[] = [];
  const push = (row: number, v: number) => {
    indices.push(row);
    values.push(v);
  };

  let col = 0;
  for (let t = 0; t < n; t++, col++) { // c_t
    starts[col] = indices.length;
    cost[col] = -input.forecast[t].price - k;
    upper[col] = a.charge_mw;
    push(t, -eta);
    if (binaries) push(firstLink + 2 * t, 1);
  }
  for (let t = 0; t < n; t++, col++) { // d_t
    starts[col] = indices.length;
    cost[col] = input.forecast[t].price - k;
    upper[col] = a.discharge_mw;
    push(t, 1 / eta);
    if (hasCycles) push(cyclesRow, 1 / eta);
    if (binaries) push(firstLink + 2 * t + 1, 1);
  }
  for (let t = 0; t < n; t++, col++) { // s_t
    starts[col] = indices.length;
    lower[col] = a.min_soc * e;
    upper[col] = a.max_soc * e;
    push(t, 1);
    if (t + 1 < n) push(t + 1, -1);
  }
  lower[col - 1] = Math.max(lower[col - 1], input.soc_end * e);
  if (binaries) {
    for (let t = 0; t < n; t++, col++) { // u_t
      starts[col] = indices.length;
      upper[col] = 1;
      push(firstLink + 2 * t, -a.charge_mw);
      push(firstLink + 2 * t + 1, a.discharge_mw);
    }
  }
  starts[nCols] = indices.length;

  const s0 = input.soc_start * e;
  rowLower[0] = rowUpper[0] = s0;
  for (let t = 1; t < n; t++) rowLower[t] = rowUpper[t] = 0;
  if (hasCycles) {
    rowLower[cyclesRow] = -Infinity;
    rowUpper[cyclesRow] = input.max_cycles! * e * (a.max_soc - a.min_soc);
  }
  for (let t = 0; t < n && binaries; t++) {
    rowLower[firstLink + 2 * t] = -Infinity;
    rowUpper[firstLink + 2 * t] = 0;
    rowLower[firstLink + 2 * t + 1] = -Infinity;
    rowUpper[firstLink + 2 * t + 1] = a.discharge_mw;
  }

  const model = {
    numCols: nCols,
    numRows: nRows,
    sense: h.constants.objectiveSense.maximize,
    colCost: cost,
    colLower: lower,
    colUpper: upper,
    rowLower,
    rowUpper,
    matrix: {
      format: "csc" as const,
      numRows: nRows,
      numCols: nCols,
      starts,
      indices: Int32Array.from(indices),
      values: Float64Array.from(values),
    },
    ...(binaries
      ? {
        integrality: Int32Array.from({ length: nCols }, (_, j) => j >= 3 * n ? h.constants.variableType.integer : 0),
      }
      : {}),
  };
  const r = binaries ? h.raw.mipCall(model) : h.raw.lpCall(model);
  if (r.status === h.constants.status.error) throw new Error("HiGHS failed to solve the storage day");
  const status = r.value.modelStatus;
  if (status === h.constants.modelStatus.infeasible || status === h.constants.modelStatus.unboundedOrInfeasible) {
    throw infeasible(input);
  }
  if (status !== h.constants.modelStatus.optimal) throw new Error(`HiGHS stopped with model status ${status}`);
  return r.value.solution.colValue;
}

/** Why no schedule exists, in the user's terms: the end state of charge is out of reach. */
function infeasible(input: StorageDayInput) {
  const a = input.asset;
  const e = a.energy_mwh;
  const reach = Math.min(
    a.max_soc * e,
    input.soc_start * e + Math.sqrt(a.round_trip_efficiency) * a.charge_mw * input.forecast.length,
  );
  return invalid(
    `No schedule satisfies the asset's limits: the day must end at a state of charge of at least ` +
      `${round(input.soc_end * 100, 2)} % (${round(input.soc_end * e, 3)} MWh), but from ` +
      `${round(input.soc_start * 100, 2)} % the battery can reach at most ${round(reach, 3)} MWh in ` +
      `${input.forecast.length} hours at ${a.charge_mw} MW`,
    { code: "infeasible" },
  );
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const clean = (x: number) => (Math.abs(x) < NOISE ? 0 : x);

/** The optimal schedule of the day (pure but for the solver instance passed in). */
export function solveStorageDay(h: Highs, input: StorageDayInput): StoragePlan {
  checkInput(input);
  const n = input.forecast.length;
  let x = solve(h, input, false);
  let both = false;
  for (let t = 0; t < n && !both; t++) both = x[t] > NOISE && x[n + t] > NOISE;
  if (both) x = solve(h, input, true);

  const eta = Math.sqrt(input.asset.round_trip_efficiency);
  const k = input.degradation_cost ?? 0;
  const hours: PlanHour[] = [];
  let energy = 0, degradation = 0, out = 0;
  for (let t = 0; t < n; t++) {
    const f = input.forecast[t];
    const c = clean(x[t]), d = clean(x[n + t]);
    energy += f.price * (d - c);
    degradation += k * (c + d);
    out += d / eta;
    hours.push({ start: f.start, price: f.price, charge_mw: c, discharge_mw: d, soc_mwh: clean(x[2 * n + t]) });
  }
  const usable = input.asset.energy_mwh * (input.asset.max_soc - input.asset.min_soc);
  return {
    hours,
    soc_start_mwh: input.soc_start * input.asset.energy_mwh,
    energy_revenue: energy,
    degradation_cost: degradation,
    expected_revenue: energy - degradation,
    cycles: out / usable,
    degradation_cost_per_mwh: k,
  };
}
