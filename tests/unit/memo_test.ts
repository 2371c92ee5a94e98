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

Deno.test("memoReads with staleMs: the last good value is served while one read renews it", async () => {
  const memo = memoReads<number>(1000, 100, { staleMs: 5000 });
  let reads = 0;
  let release!: () => void;
  const slow = () => new Promise<number>((res) => (release = () => res(++reads)));
  const first = memo.get("a", slow, 0);
  release();
  assert.equal(await first.value, 1);
  // The window is over: the old value answers at once, and one renewal starts.
  const stale = memo.get("a", slow, 1500);
  assert.equal(stale, first);
  assert.equal(memo.get("a", () => Promise.resolve(-1), 1600), first, "a renewal in flight is not started twice");
  release();
  await new Promise((r) => setTimeout(r, 0));
  const renewed = memo.get("a", slow, 1700);
  assert.equal(await renewed.value, 2, "the renewed value replaces it");
  assert.equal(renewed.at, 1500, "named by when its read started");
  // Beyond window + staleMs nothing stale is served: the request waits for a fresh read.
  const late = memo.get("a", () => Promise.resolve(10), 1500 + 1000 + 5000);
  assert.equal(await late.value, 10);
});

Deno.test("memoReads with staleMs: a failed renewal keeps the last good value; a failed first read is not kept", async () => {
  const memo = memoReads<number>(1000, 100, { staleMs: 5000 });
  assert.equal(await memo.get("a", () => Promise.resolve(1), 0).value, 1);
  const stale = memo.get("a", () => Promise.reject(new Error("down")), 1500);
  assert.equal(await stale.value, 1);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(await memo.get("a", () => Promise.resolve(2), 1600).value, 1, "still the good one, renewing again");
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(await memo.get("a", () => Promise.resolve(3), 1700).value, 2);
  const failing = memo.get("b", () => Promise.reject(new Error("down")), 0);
  await assert.rejects(failing.value);
  assert.equal(await memo.get("b", () => Promise.resolve(4), 1).value, 4);
});

Deno.test("memoReads with staleMs: a fresh read never gets the stale value; it joins the renewal under way", async () => {
  const memo = memoReads<number>(1000, 100, { staleMs: 5000 });
  assert.equal(await memo.get("a", () => Promise.resolve(1), 0).value, 1);
  assert.equal(await memo.get("a", () => Promise.resolve(2), 1500, { fresh: true }).value, 2, "past the window");
  // A renewal started by a plain read is what a fresh one then waits for.
  let release!: () => void;
  const stale = memo.get("a", () => new Promise<number>((res) => (release = () => res(3))), 3000);
  assert.equal(await stale.value, 2);
  const fresh = memo.get("a", () => Promise.resolve(-1), 3100, { fresh: true });
  release();
  assert.equal(await fresh.value, 3);
  // Within the window a fresh read is the window's value, as any other.
  assert.equal(await memo.get("a", () => Promise.resolve(-1), 3200, { fresh: true }).value, 3);
});
