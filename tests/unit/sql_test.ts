/** pgArray: the array literal a price write sends as one string per column. */
import assert from "node:assert/strict";
import { pgArray } from "../../db/sql.ts";

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
