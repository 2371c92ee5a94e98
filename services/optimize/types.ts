/**
 * What the storage optimiser takes and gives. Units: MW for power, MWh for energy, $/MWh for prices,
 * fractions of `energy_mwh` for states of charge. Every hour of a DA delivery day is one hour long.
 */

/** The storage asset's physical limits (the fields of an assets row that the LP needs). */
export interface StorageParams {
  /** Most it can draw from the grid, MW. */
  charge_mw: number;
  /** Most it can inject, MW. */
  discharge_mw: number;
  /** Energy capacity, MWh. */
  energy_mwh: number;
  /** Round-trip efficiency (0, 1]: energy out per energy in, counted once over a full cycle. */
  round_trip_efficiency: number;
  /** State-of-charge limits, fractions of `energy_mwh`. */
  min_soc: number;
  max_soc: number;
}

/** One hour of a price forecast: its point value and, optionally, its 10 % and 90 % quantiles. */
export interface ForecastHour {
  /** Start of the delivery hour, ISO-8601. */
  start: string;
  /** Point forecast, $/MWh: the price the schedule is optimised for. */
  price: number;
  p10?: number;
  p90?: number;
}

export interface StorageDayInput {
  asset: StorageParams;
  /** The delivery day's hours in order (23, 24 or 25 of them on a DST day; any count ≥ 1 is solved). */
  forecast: readonly ForecastHour[];
  /** State of charge when the day starts, a fraction within [min_soc, max_soc]. */
  soc_start: number;
  /** State of charge the day must end with at least, a fraction within [min_soc, max_soc]. */
  soc_end: number;
  /**
   * Most full cycles in the day: energy discharged (from the cells, before losses) ≤ max_cycles ×
   * usable energy (energy_mwh × (max_soc − min_soc)). Absent: no limit besides power and energy.
   */
  max_cycles?: number;
  /** $ per MWh of throughput, charged and discharged alike (metered at the grid). Default 0. */
  degradation_cost?: number;
}

export interface PlanHour {
  start: string;
  /** The forecast price the hour was planned at. */
  price: number;
  /** MW drawn from the grid (≥ 0). Never both charge and discharge in an hour. */
  charge_mw: number;
  /** MW injected into the grid (≥ 0). */
  discharge_mw: number;
  /** State of charge at the END of the hour, MWh. */
  soc_mwh: number;
}

export interface StoragePlan {
  hours: PlanHour[];
  /** State of charge at the start of the day, MWh. */
  soc_start_mwh: number;
  /** Σ price × (discharge − charge), $: what the schedule earns at the forecast prices. */
  energy_revenue: number;
  /** Σ degradation_cost × (charge + discharge), $. */
  degradation_cost: number;
  /** energy_revenue − degradation_cost: the objective the schedule maximises. */
  expected_revenue: number;
  /** Full cycles used (see `StorageDayInput.max_cycles`). */
  cycles: number;
  /** The degradation cost the day was optimised with, $/MWh of throughput (the curves price it in). */
  degradation_cost_per_mwh: number;
}
