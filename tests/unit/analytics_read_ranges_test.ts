import assert from "node:assert/strict";
import fc from "fast-check";
import { type PartSpan, readRanges } from "../../services/analytics/clickhouse_parts.ts";

Deno.test("read ranges: parts that do not overlap are read plainly, overlaps FINAL, clipped to the range", () => {
  // Three parts in a row (a relay's successive inserts), then a revision of seconds 150 … 160.
  const parts: PartSpan[] = [{ min: 0, max: 99 }, { min: 100, max: 199 }, { min: 200, max: 299 }];
  assert.deepEqual(readRanges(parts, 0, 300), [{ from: 0, to: 300, final: false }]);
  assert.deepEqual(readRanges([...parts, { min: 150, max: 160 }], 50, 250), [
    { from: 50, to: 150, final: false },
    { from: 150, to: 161, final: true },
    { from: 161, to: 250, final: false },
  ]);
  // A shared second is an overlap: max is inclusive.
  assert.deepEqual(readRanges([{ min: 0, max: 10 }, { min: 10, max: 20 }], 0, 21), [
    { from: 0, to: 10, final: false },
    { from: 10, to: 11, final: true },
    { from: 11, to: 21, final: false },
  ]);
  // A table with no recorded spans: one part is one version per key, two may be anything.
  const any = { min: -Infinity, max: Infinity };
  assert.deepEqual(readRanges([any], 5, 9), [{ from: 5, to: 9, final: false }]);
  assert.deepEqual(readRanges([any, any], 5, 9), [{ from: 5, to: 9, final: true }]);
  assert.deepEqual(readRanges(parts, 9, 9), []);
});

Deno.test("read ranges: beyond maxFinal the closest overlaps are joined", () => {
  const parts: PartSpan[] = [{ min: 0, max: 1000 }];
  for (const at of [100, 200, 210, 500]) parts.push({ min: at, max: at + 4 });
  const r = readRanges(parts, 0, 1001, 3);
  assert.deepEqual(r.filter((x) => x.final), [
    { from: 100, to: 105, final: true },
    { from: 200, to: 215, final: true },
    { from: 500, to: 505, final: true },
  ]);
});

Deno.test("read ranges (property): every second held by two parts is read FINAL, the rest covered once", () => {
  const span = fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 40 }))
    .map(([min, len]) => ({ min, max: min + len }));
  fc.assert(
    fc.property(
      fc.array(span, { maxLength: 12 }),
      fc.integer({ min: 0, max: 250 }),
      fc.integer({ min: 0, max: 250 }),
      fc.integer({ min: 1, max: 6 }),
      (parts, a, b, maxFinal) => {
        const [from, to] = [Math.min(a, b), Math.max(a, b)];
        const ranges = readRanges(parts, from, to, maxFinal);
        // Contiguous, in order, exactly [from, to).
        let at = from;
        for (const r of ranges) {
          assert.equal(r.from, at);
          assert.ok(r.to > r.from);
          at = r.to;
        }
        assert.equal(at, to);
        assert.ok(ranges.filter((r) => r.final).length <= maxFinal);
        for (let s = from; s < to; s++) {
          const holders = parts.filter((p) => p.min <= s && s <= p.max).length;
          const final = ranges.find((r) => r.from <= s && s < r.to)!.final;
          if (holders >= 2) assert.ok(final, `second ${s} is in ${holders} parts`);
        }
        // With room for every overlap, nothing else is read FINAL.
        for (const r of readRanges(parts, from, to, 100).filter((x) => x.final)) {
          for (let s = r.from; s < r.to; s++) {
            assert.ok(parts.filter((p) => p.min <= s && s <= p.max).length >= 2);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});
