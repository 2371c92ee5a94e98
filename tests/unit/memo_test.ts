import assert from "node:assert/strict";
import { memoReads } from "../../services/memo.ts";

Deno.test("memoReads: one read per key and window; a failed read is not kept; delete forgets", async () => {
  const memo = memoReads<number>(1000);
  let reads = 0;
  const read = () => Promise.resolve(++reads);
  assert.equal(await memo.get("a", read, 0).value, 1);
  assert.equal(await memo.get("a", read, 999).value, 1, "same window: same read");
  assert.equal(await memo.get("b", read, 999).value, 2, "another key: its own read");
  assert.equal(await memo.get("a", read, 1000).value, 3, "window over: read again");
  memo.delete("a");
  assert.equal(await memo.get("a", read, 1001).value, 4);

  const failing = memo.get("c", () => Promise.reject(new Error("down")), 0);
  await assert.rejects(failing.value);
  assert.equal(await memo.get("c", read, 1).value, 5, "the failure was not kept");
});
