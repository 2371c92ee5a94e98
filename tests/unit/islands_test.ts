import assert from "node:assert/strict";
import { signal } from "@preact/signals";
import { revive, SerializationError, stringifyForHtml, toSerializable } from "../../framework/serialize.ts";
import { fixtureApp } from "../helpers/fixture_app.tsx";

const { app } = fixtureApp();

function state(html: string) {
  const m = html.match(/<script type="application\/json" id="__FRSH_STATE">(.*?)<\/script>/);
  assert.ok(m, "page carries island state");
  return JSON.parse(m[1]);
}

Deno.test("islands are marked with their name and props index, and only they are hydrated", async () => {
  const html = await (await app.request("http://x/islands")).text();
  assert.match(
    html,
    /<fresh-island data-island="Counter" data-props="0"><button type="button"\s*>count:3<\/button><\/fresh-island>/,
  );
  assert.match(
    html,
    /<fresh-island data-island="Counter" data-props="1"><button type="button"\s*>count:7<\/button><\/fresh-island>/,
  );
  const s = state(html);
  assert.deepEqual(s.islands, { Counter: "/_fresh/islands/Counter-1.js" });
  assert.deepEqual(s.props[0], { start: 3, when: { __t: "Date", v: "2026-01-02T03:04:05.000Z" } });
  assert.deepEqual(s.props[1], { start: 7 });
  assert.match(html, /<script type="module" src="\/_fresh\/boot-123.js"><\/script><\/body>/);
});

Deno.test("a page without islands ships no JavaScript", async () => {
  const html = await (await app.request("http://x/market/PJM")).text();
  assert.doesNotMatch(html, /<script/);
});

Deno.test("a function prop is a clear error naming the island and the prop", async () => {
  const errors: unknown[] = [];
  const { app } = fixtureApp(errors);
  const res = await app.request("http://x/bad-island");
  assert.equal(res.status, 500);
  assert.match(String(errors[0]), /Island "Counter#Fancy": props\.onPick is a function/);
});

Deno.test("serialisation: JSON values, Date, signals, undefined; rejects the rest", () => {
  const value = { a: [1, "x", null, true], d: new Date(0), s: signal({ n: 1 }), u: undefined };
  const wire = JSON.parse(JSON.stringify(toSerializable(value, "props")));
  const back = revive(wire, (v) => ({ signal: v })) as Record<string, unknown>;
  assert.deepEqual(back.a, [1, "x", null, true]);
  assert.ok(back.d instanceof Date && back.d.getTime() === 0);
  assert.deepEqual(back.s, { signal: { n: 1 } });
  assert.ok("u" in back && back.u === undefined);
  for (
    const [bad, pattern] of [
      [{ f: () => 1 }, /props\.f is a function/],
      [{ m: new Map() }, /props\.m is an instance of Map/],
      [{ n: NaN }, /props\.n is NaN/],
      [{ b: 1n }, /props\.b is a bigint/],
      [{ x: { __t: "Date" } }, /reserved key/],
    ] as const
  ) {
    assert.throws(
      () => toSerializable(bad, "props"),
      (e) => e instanceof SerializationError && pattern.test(e.message),
    );
  }
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assert.throws(() => toSerializable(circular, "props"), /circular/);
});

Deno.test("island state cannot break out of its script element", () => {
  const out = stringifyForHtml({ s: "</script><script>alert(1)</script>\u2028" });
  assert.doesNotMatch(out, /<\/script>/);
  assert.deepEqual(JSON.parse(out), { s: "</script><script>alert(1)</script>\u2028" });
});
