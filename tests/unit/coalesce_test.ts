/** coalesce: calls of one turn run together, by key and up to `max`; a failed run falls back to each alone. */
import assert from "node:assert/strict";
import { coalesce } from "../../services/coalesce.ts";

function recorder(max: number, key?: (item: string) => string) {
  const runs: string[][] = [];
  const call = coalesce<string, string>({
    together: (items) => (runs.push(items), Promise.resolve(items.map((i) => i.toUpperCase()))),
    alone: (item) => (runs.push([item]), Promise.resolve(item.toUpperCase())),
    max,
    key,
  });
  return { call, runs: () => runs.map((r) => r.join(" ")).sort() };
}

Deno.test("calls of one turn share one run per key; each caller gets its own result", async () => {
  const { call, runs } = recorder(10, (item) => item[0]);
  const out = await Promise.all(["a1", "b1", "a2", "a3", "b2"].map(call));
  assert.deepEqual(out, ["A1", "B1", "A2", "A3", "B2"]);
  assert.deepEqual(runs(), ["a1 a2 a3", "b1 b2"]);
});

Deno.test("a queue that reaches max runs at once; what comes after waits for the turn's end", async () => {
  const { call, runs } = recorder(2);
  assert.deepEqual(await Promise.all(["x1", "x2", "x3"].map(call)), ["X1", "X2", "X3"]);
  assert.deepEqual(runs(), ["x1 x2", "x3"]);
});

Deno.test("a failed run is retried item by item: only the bad item fails", async () => {
  let shared = 0;
  const call = coalesce<number, number>({
    together: () => (shared++, Promise.reject(new Error("shared run failed"))),
    alone: (n) => n < 0 ? Promise.reject(new Error(`bad ${n}`)) : Promise.resolve(n * 2),
    max: 100,
  });
  const out = await Promise.allSettled([1, -1, 3].map(call));
  assert.equal(shared, 1);
  assert.deepEqual(out.map((r) => r.status === "fulfilled" ? r.value : (r.reason as Error).message), [2, "bad -1", 6]);
});

Deno.test("with a concurrency limit, what comes while runs are busy waits and then goes together", async () => {
  const runs: number[][] = [];
  const gates: PromiseWithResolvers<void>[] = [];
  let inFlight = 0, most = 0;
  /** A run of `items` that holds until its gate is opened, then answers `out`. */
  const held = async <R>(items: number[], out: R): Promise<R> => {
    runs.push(items);
    inFlight++;
    most = Math.max(most, inFlight);
    const gate = Promise.withResolvers<void>();
    gates.push(gate);
    await gate.promise;
    inFlight--;
    return out;
  };
  const call = coalesce<number, number>({
    together: (items) => held(items, items.map((i) => i * 10)),
    alone: (item) => held([item], item * 10),
    max: 2,
    concurrency: 1,
  });
  const first = [call(1), call(2)]; // a full run: starts at once
  await new Promise((r) => setTimeout(r, 0));
  const later = [3, 4, 5, 6, 7].map(call); // arrive while it runs
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(runs, [[1, 2]], "nothing else starts while the one allowed run is busy");
  const release = async () => {
    while (gates.length) {
      gates.shift()!.resolve();
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  const releasing = (async () => {
    for (let i = 0; i < 10; i++) await release();
  })();
  assert.deepEqual(await Promise.all([...first, ...later]), [10, 20, 30, 40, 50, 60, 70]);
  await releasing;
  assert.equal(most, 1);
  assert.deepEqual(runs, [[1, 2], [3, 4], [5, 6], [7]], "the waiting items went in runs of up to max, in order");
});
