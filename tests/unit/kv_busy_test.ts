/** A busy shared KV file is waited out; anything else fails at once; the wait is bounded. */
import assert from "node:assert/strict";
import { isKvBusy, whileKvBusy } from "../../services/adapters/kv_busy.ts";

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
