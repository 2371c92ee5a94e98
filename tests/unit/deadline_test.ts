/** The request's database budget counts time waiting on the database, not time computing. */
import assert from "node:assert/strict";
import {
  bounded,
  DatabaseDeadlineError,
  databaseWork,
  remainingMs,
  withDeadline,
} from "../../services/adapters/deadline.ts";

function busy(ms: number) {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* a password hash on a busy machine */ }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("deadline: computing does not spend the database budget; database work does, overlaps once", async () => {
  assert.equal(remainingMs(), null, "outside a request: unbounded");
  await withDeadline(1_000, async () => {
    busy(150);
    assert.equal(remainingMs(), 1_000, "CPU work before the queries costs nothing");
    const a = databaseWork();
    const b = databaseWork(); // two queries in flight at once
    await sleep(100);
    b();
    a();
    a(); // ending twice counts once
    const left = remainingMs()!;
    assert.ok(left <= 900 && left > 700, `about 100 ms spent, once: ${left}`);
  });
});

Deno.test("deadline: a call that outlives what is left is refused with the 503-kind error", async () => {
  await withDeadline(50, async () => {
    busy(80); // more than the budget, but not database time
    const slow = bounded(sleep(500).then(() => "late"));
    await assert.rejects(slow, DatabaseDeadlineError);
    assert.ok(remainingMs()! <= 0, "the budget is spent by the wait");
    await assert.rejects(bounded(Promise.resolve("x")), DatabaseDeadlineError);
  });
});
