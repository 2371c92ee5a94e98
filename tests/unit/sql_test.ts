/** pgArray and copyText: the array literal and the COPY text a price write sends. */
import assert from "node:assert/strict";
import { copyText, pgArray } from "../../db/sql.ts";

Deno.test("pgArray quotes and escapes every text element, writes numbers as they are and null as NULL", () => {
  assert.equal(pgArray([]), "{}");
  assert.equal(pgArray(["PJM", "RT"]), '{"PJM","RT"}');
  assert.equal(pgArray(['a"b', "c\\d", "e,f", "{g}", "NULL", ""]), '{"a\\"b","c\\\\d","e,f","{g}","NULL",""}');
  assert.equal(pgArray([1, -2.5, 0.0001, 1e-7, null]), "{1,-2.5,0.0001,1e-7,NULL}");
});

Deno.test("pgArray refuses what Postgres would read as something else", () => {
  assert.throws(() => pgArray([Number.NaN]), RangeError);
  assert.throws(() => pgArray([Infinity]), RangeError);
});

Deno.test("copyText writes a line per row, tab-separated, fixed values last, and escapes what COPY reads specially", () => {
  const rows = [{ a: "PJM", n: 1.5 }, { a: "tab\there\nline\rcr \\N back\\slash", n: -2e-7 }];
  const text = copyText(rows, [(r) => r.a, (r) => r.n], ["sim"]);
  assert.equal(text, "PJM\t1.5\tsim\n" + "tab\\there\\nline\\rcr \\\\N back\\\\slash\t-2e-7\tsim\n");
  assert.equal(copyText([], [(r: { a: string }) => r.a]), "");
  assert.equal(copyText([{ a: "x" }], [(r) => r.a]), "x\n");
});

Deno.test("copyText refuses numbers Postgres would read as something else", () => {
  assert.throws(() => copyText([{ n: Number.NaN }], [(r) => r.n]), RangeError);
  assert.throws(() => copyText([{ n: 1 }], [(r) => r.n], [-Infinity]), RangeError);
});
