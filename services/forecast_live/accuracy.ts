/**
 * Rolling accuracy of the live forecasts (pure): MAE, rMAE against the weekly-seasonal naive forecast of
 * issue 14 (Tue–Fri: the day before; Sat–Mon: the same day a week before), sMAPE and the 10–90 % coverage.
 * Figures are over hours (every hour weighs the same, 23- and 25-hour days included); rMAE is taken over
 * the days whose naive forecast exists, as a ratio of sums.
 */

export interface DayComparison {
  date: string;
  /** Matched hours: the price that came, the forecast of that hour, and the naive forecast (or none). */
  actual: number[];
  p50: number[];
  p10: (number | null)[];
  p90: (number | null)[];
  naive: number[] | null;
}

export interface Accuracy {
  n_days: number;
  n_hours: number;
  mae: number | null;
  rmae: number | null;
  smape: number | null;
  coverage_80: number | null;
  daily: { date: string; mae: number; rmae: number | null }[];
}

/** The naive forecast's lag in days for a delivery date: 1 on Tuesday–Friday, 7 on Saturday–Monday. */
export function naiveLagDays(date: string): number {
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay(); // Sunday = 0
  return dow >= 2 && dow <= 5 ? 1 : 7;
}

export function accuracyOf(days: readonly DayComparison[]): Accuracy {
  let absErr = 0, smapeSum = 0, hours = 0, inside = 0, banded = 0, modelAbsWithNaive = 0, naiveAbs = 0;
  const daily: Accuracy["daily"] = [];
  for (const d of days) {
    const n = d.actual.length;
    if (n === 0) continue;
    let dayAbs = 0, dayNaive = 0;
    for (let i = 0; i < n; i++) {
      const a = d.actual[i], f = d.p50[i];
      const e = Math.abs(a - f);
      dayAbs += e;
      const den = (Math.abs(a) + Math.abs(f)) / 2;
      if (den > 0) smapeSum += e / den;
      const lo = d.p10[i], hi = d.p90[i];
      if (lo !== null && hi !== null) {
        banded++;
        if (a >= lo && a <= hi) inside++;
      }
      if (d.naive) dayNaive += Math.abs(a - d.naive[i]);
    }
    absErr += dayAbs;
    hours += n;
    if (d.naive) {
      modelAbsWithNaive += dayAbs;
      naiveAbs += dayNaive;
    }
    daily.push({ date: d.date, mae: dayAbs / n, rmae: d.naive && dayNaive > 0 ? dayAbs / dayNaive : null });
  }
  return {
    n_days: daily.length,
    n_hours: hours,
    mae: hours ? absErr / hours : null,
    rmae: naiveAbs > 0 ? modelAbsWithNaive / naiveAbs : null,
    smape: hours ? smapeSum / hours : null,
    coverage_80: banded ? inside / banded : null,
    daily,
  };
}
