/**
 * Which stretches of time a ReplacingMergeTree table must be read FINAL over, from its active parts.
 *
 * FINAL merges every part a read touches, row by row, to keep the newest version of each key: on a year of
 * intervals it was a third of a market panel's ClickHouse time. It is only needed where two versions of one
 * key can be read, and every key holds its time (the partition key's column), so two versions of a key can
 * only lie where two parts' time spans overlap — provided no part holds two versions itself. That holds when
 * every insert block is unique per key (the relay's are: rows of one Postgres query, or GROUP BY results) and
 * merges collapse versions (a ReplacingMergeTree merge always does). Elsewhere a plain read is the same answer.
 *
 * Pure: part spans in, read ranges out (Unix seconds).
 */

/** A part's span of the time column, inclusive; ±Infinity when the table records none (not partitioned by it). */
export interface PartSpan {
  min: number;
  max: number;
}

/** A half-open stretch `[from, to)` of the query's range, read FINAL or plainly. */
export interface ReadRange {
  from: number;
  to: number;
  final: boolean;
}

/**
 * `[from, to)` cut into stretches: FINAL where two or more parts' spans overlap, plain elsewhere. At most
 * `maxFinal` FINAL stretches (each is a branch of a UNION): beyond that the closest ones are joined, reading
 * the gap between them FINAL too, which is never wrong, only slower.
 */
export function readRanges(parts: readonly PartSpan[], from: number, to: number, maxFinal = 4): ReadRange[] {
  if (!(from < to)) return [];
  // Coverage sweep over half-open spans [min, max + 1): ends before starts at the same second.
  const events: [number, number][] = [];
  for (const p of parts) events.push([p.min, 1], [p.max + 1, -1]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const overlaps: [number, number][] = [];
  let depth = 0, start = 0;
  for (const [at, step] of events) {
    const before = depth;
    depth += step;
    if (before < 2 && depth >= 2) start = at;
    else if (before >= 2 && depth < 2) {
      const lo = Math.max(start, from), hi = Math.min(at, to);
      if (lo < hi) overlaps.push([lo, hi]);
    }
  }
  while (overlaps.length > Math.max(1, maxFinal)) {
    let best = 1;
    for (let i = 2; i < overlaps.length; i++) {
      if (overlaps[i][0] - overlaps[i - 1][1] < overlaps[best][0] - overlaps[best - 1][1]) best = i;
    }
    overlaps.splice(best - 1, 2, [overlaps[best - 1][0], overlaps[best][1]]);
  }
  const out: ReadRange[] = [];
  let at = from;
  for (const [lo, hi] of overlaps) {
    if (at < lo) out.push({ from: at, to: lo, final: false });
    out.push({ from: lo, to: hi, final: true });
    at = hi;
  }
  if (at < to) out.push({ from: at, to, final: false });
  return out;
}
