/** A busy shared KV file is waited out; anything else fails at once; the wait is bounded. */
import assert from "node:assert/strict";
import { isKvBusy, retryWhileBusy, whileKvBusy } from "../../services/adapters/kv_busy.ts";

Deno.test("kv busy: retried while the file is locked, other errors and endless locks not", async () => {
  let calls = 0;
  const locked = new TypeError("database is locked");
  assert.ok(isKvBusy(locked) && !isKvBusy(new Error("disk full")));
  assert.equal(await whileKvBusy(() => (++calls < 4 ? Promise.reject(locked) : Promise.resolve("ok"))), "ok");
  assert.equal(calls, 4);
  calls = 0;
  await assert.rejects(whileKvBusy(() => (calls++, Promise.reject(new Error("disk full")))), /disk full/);
  assert.equal(calls, 1);
  calls = 0;
  await assert.rejects(whileKvBusy(() => (calls++, Promise.reject(locked)), 5), /locked/);
  assert.equal(calls, 5);
});

Deno.test("kv busy: the KV the app opens retries its reads, writes and commits while the file is busy", async () => {
  const kv = await Deno.openKv(":memory:");
  const locked = new TypeError("database is locked");
  let failures = 0;
  // The first two attempts of each call meet a busy file, then it goes through to the real KV.
  const busyTwice = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A) =>
    ++failures % 3 ? Promise.reject(locked) : fn(...args);
  const flaky = {
    get: busyTwice(kv.get.bind(kv)),
    set: busyTwice(kv.set.bind(kv)),
    atomic: () => {
      const op = kv.atomic();
      op.commit = busyTwice(op.commit.bind(op));
      return op;
    },
    close: () => kv.close(),
  } as unknown as Deno.Kv;
  const retrying = retryWhileBusy(flaky);
  await retrying.set(["a"], 1);
  assert.equal((await retrying.get<number>(["a"])).value, 1);
  const res = await retrying.atomic().check({ key: ["a"], versionstamp: null }).set(["b"], 2).commit();
  assert.equal(res.ok, false, "a refused check is an answer, not retried");
  assert.ok((await retrying.atomic().set(["b"], 2).commit()).ok);
  assert.equal((await kv.get<number>(["b"])).value, 2);
  assert.equal(failures, 12, "two busy attempts before each of the four calls");
  retrying.close();
});
