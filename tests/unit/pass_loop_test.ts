/** The relay loop (services/queue/pass_loop.ts): no overlapping passes, a full batch runs again, kicks coalesce. */
import assert from "node:assert/strict";
import { passLoop } from "../../services/queue/pass_loop.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("pass loop: passes never overlap; 'more' runs again at once; a kick during a pass runs one more after it", async () => {
  let inFlight = 0, most = 0, passes = 0;
  let backlog = 3; // three full batches waiting
  const loop = passLoop({
    pass: async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      passes++;
      await sleep(5);
      inFlight--;
      if (backlog > 0) backlog--;
      return backlog > 0;
    },
    everyMs: 60_000,
    kickDelayMs: 1,
    onError: (e) => assert.fail(String(e)),
  });
  loop.start();
  loop.kick();
  await sleep(2);
  loop.kick();
  await loop.runNow();
  await sleep(30);
  assert.equal(most, 1, "one pass at a time");
  assert.equal(backlog, 0, "the backlog drained without waiting for the interval");
  const before = passes;
  for (let i = 0; i < 5; i++) loop.kick();
  await sleep(30);
  assert.equal(passes - before, 1, "five kicks in a burst are one pass");
  await loop.stop();
  loop.kick();
  await sleep(10);
  assert.equal(passes - before, 1, "nothing runs after stop");
});

Deno.test("pass loop: a failing pass is reported and the loop keeps running", async () => {
  const errors: string[] = [];
  let n = 0;
  const loop = passLoop({
    pass: () => {
      n++;
      return n === 1 ? Promise.reject(new Error("down")) : Promise.resolve(false);
    },
    everyMs: 60_000,
    onError: (e) => errors.push((e as Error).message),
  });
  await loop.runNow();
  await loop.runNow();
  assert.deepEqual(errors, ["down"]);
  assert.equal(n, 2);
  await loop.stop();
});
