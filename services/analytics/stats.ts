/**
 * The analytics' definitions that both engines share, and the pure steps done after the database has
 * aggregated (rolling windows and cumulative sums over at most a few thousand daily rows).
 *
 * Percentiles are **nearest-rank**: the p-th percentile of n values is the value at rank ⌈p·n/100⌉
 * (1-based, at least 1) of the values sorted ascending — Postgres' `percentile_disc(p/100)`. Postgres
 * computes the rank in integer arithmetic, `(p·n + 99) div 100`, so a fraction such as 0.95 held as a double
 * can never move it by one; ClickHouse asks `quantilesExact` at levels just under p/100, which land on the
 * same rank (`LEVELS` in clickhouse.ts says why). The median is the 50th percentile by this definition (a value that
 * occurred, never the mean of the two middle ones).
 */

/** The percentiles of the summary statistics. */
export const PERCENTILES = [5, 25, 50, 75, 95, 99] as const;

/** 1-based rank of the p-th percentile (p an integer 0..100) among n sorted values. */
export function percentileRank(p: number, n: number): number {
  return Math.max(1, Math.floor((p * n + 99) / 100));
}

/** Nearest-rank percentile of values sorted ascending (null when there are none). */
export function percentileOf(sorted: readonly number[], p: number): number | null {
  return sorted.length ? sorted[percentileRank(p, sorted.length) - 1] : null;
}

/**
 * Spikes: an RT interval's robust z-score against its hour-of-week baseline on a trailing window. The
 * baseline of an hour is taken from the hourly mean RT prices exactly 1, 2, 3 and 4 weeks (168 h each)
 * before it — at least two of them must exist: its median (nearest-rank, rank ⌈m/2⌉) and MAD (the same
 * median of the absolute deviations). The score is (price − median) / max(1.4826·MAD, floor), the floor
 * keeping a dead-calm baseline (MAD 0) from turning a cent's move into a spike.
 */
export const SPIKE = {
  lagsWeeks: 4,
  minBaseline: 2,
  madToSigma: 1.4826,
  /** $/MWh: the smallest scale a score is divided by. */
  scaleFloor: 5,
  /** Default |score| at or above which an interval is listed. */
  defaultThreshold: 6,
  /** At most this many spikes are listed (the largest |score| first); the count covers all. */
  maxListed: 200,
} as const;

/** Rolling volatility: the trailing window in days of the RT returns' standard deviation. */
export const VOLATILITY_WINDOW_DAYS = 7;

/** Chart series: the bucket (seconds) from this list that keeps a range to at most MAX_POINTS points. */
export const BUCKETS_S = [300, 900, 3_600, 3 * 3_600, 6 * 3_600, 86_400, 7 * 86_400] as const;
export const MAX_POINTS = 2_000;

export function bucketSeconds(fromMs: number, toMs: number): number {
  const span = (toMs - fromMs) / 1000;
  return BUCKETS_S.find((b) => span / b <= MAX_POINTS) ?? BUCKETS_S[BUCKETS_S.length - 1];
}

/** One operating day's RT returns (changes of the hourly mean RT price between consecutive hours of the day) as sums. */
export interface DailyReturns {
  date: string;
  n: number;
  sum: number;
  sumsq: number;
}

/**
 * Population standard deviation of the returns of the `windowDays` days ending with each day (by date:
 * a missing day shortens the window, it does not stretch it). Null while the window has no return.
 */
export function rollingVolatility(
  days: readonly DailyReturns[],
  windowDays = VOLATILITY_WINDOW_DAYS,
): { date: string; std: number | null; n: number }[] {
  const dayNo = (d: string) => Date.parse(`${d}T00:00:00Z`) / 86_400_000;
  const out: { date: string; std: number | null; n: number }[] = [];
  let lo = 0, n = 0, s = 0, ss = 0;
  for (let i = 0; i < days.length; i++) {
    n += days[i].n, s += days[i].sum, ss += days[i].sumsq;
    const start = dayNo(days[i].date) - windowDays + 1;
    while (dayNo(days[lo].date) < start) {
      n -= days[lo].n, s -= days[lo].sum, ss -= days[lo].sumsq;
      lo++;
    }
    const mean = n ? s / n : 0;
    out.push({ date: days[i].date, n, std: n ? Math.sqrt(Math.max(0, ss / n - mean * mean)) : null });
  }
  return out;
}

/**
 * The DA–RT spread summed per day, and what 1 MW at every hour would have earned cumulatively: an INC
 * (sell day-ahead, buy back in real time) earns DA − RT, a DEC the opposite.
 */
export function cumulativeSpread(
  days: readonly { date: string; hours: number; spread: number }[],
): { date: string; hours: number; spread: number; inc: number; dec: number }[] {
  let acc = 0;
  return days.map((d) => {
    acc += d.spread;
    return { ...d, inc: acc, dec: -acc };
  });
}

/** A symmetric matrix (1 on the diagonal) from pairwise correlations; null where a pair has none. */
export function correlationMatrix(
  zones: readonly string[],
  pairs: readonly { a: string; b: string; corr: number | null; n: number }[],
): { matrix: (number | null)[][]; n: number[][] } {
  const idx = new Map(zones.map((z, i) => [z, i]));
  const matrix = zones.map((_, i) => zones.map((_, j) => (i === j ? 1 : null as number | null)));
  const n = zones.map(() => zones.map(() => 0));
  for (const p of pairs) {
    const i = idx.get(p.a), j = idx.get(p.b);
    if (i === undefined || j === undefined) continue;
    matrix[i][j] = matrix[j][i] = p.corr;
    n[i][j] = n[j][i] = p.n;
  }
  return { matrix, n };
}
