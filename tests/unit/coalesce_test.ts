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
