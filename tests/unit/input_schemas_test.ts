/** The shared input primitives (services/schemas/): text the database can store, numbers its columns keep. */
import assert from "node:assert/strict";
import { COLUMNS, decimal, fitsScale, int4 } from "../../services/schemas/numeric.ts";
import { charLength, text } from "../../services/schemas/text.ts";
import { segmentSchema } from "../../services/bids/schema.ts";

Deno.test("text: control characters, NUL and lone surrogates are refused; tab and newline only where multi-line", () => {
  const one = text({ min: 1, max: 20 });
  const multi = text({ min: 1, max: 20, multiline: true });
  for (const bad of ["\u0000", "\u0001", "\u0008", "\u000b", "\u001b", "\u007f", "\u0080", "\u0085", "\u009f"]) {
    assert.equal(one.safeParse(`a${bad}b`).success, false, JSON.stringify(bad));
    assert.equal(multi.safeParse(`a${bad}b`).success, false, `multi-line ${JSON.stringify(bad)}`);
  }
  for (const ws of ["\t", "\n", "\r\n"]) {
    assert.equal(one.safeParse(`a${ws}b`).success, false, `single line ${JSON.stringify(ws)}`);
    assert.equal(multi.safeParse(`a${ws}b`).success, true, `multi-line ${JSON.stringify(ws)}`);
  }
  assert.equal(one.safeParse("a\ud800b").success, false, "lone high surrogate");
  assert.equal(one.safeParse("a\udc00").success, false, "lone low surrogate");
  // Ordinary text of any script, emoji, and the characters people do type are fine.
  for (const ok of ["Solar Ridge", "Zürich Süd", "東京電力", "⚡ BESS 😀", 'O\'Brien "North"', "a\u00a0b"]) {
    assert.equal(one.parse(ok), ok);
  }
  const issue = one.safeParse("x\u0000").error!.issues[0];
  assert.match(issue.message, /control characters \(found U\+0000\)/);
});

Deno.test("text: trimmed, and lengths counted in characters as Postgres counts them", () => {
  const t = text({ min: 2, max: 3 });
  assert.equal(t.parse("  ab  "), "ab");
  assert.equal(t.safeParse(" a ").success, false, "min after trimming");
  assert.equal(charLength("😀😀😀"), 3);
  assert.equal(t.parse("😀😀😀"), "😀😀😀", "three characters, six UTF-16 units");
  assert.equal(t.safeParse("😀").success, false, "one character is below 2, though 2 UTF-16 units");
  assert.equal(t.safeParse("abcd").success, false);
  assert.equal(text({ max: 5, trim: false }).parse(" a "), " a ");
});

Deno.test("numeric: a value is accepted only when its column stores it unchanged", () => {
  assert.ok(fitsScale(0.001, 3));
  assert.ok(fitsScale(1.005, 3));
  assert.ok(fitsScale(0.3, 3));
  assert.ok(fitsScale(-0, 3));
  assert.ok(!fitsScale(0.0001, 3));
  assert.ok(!fitsScale(0.0004, 3));
  assert.ok(!fitsScale(5e-324, 3));
  assert.ok(!fitsScale(0.89996, 4));

  const capacity = decimal(COLUMNS["assets.capacity_mw"], { gt: 0, max: 100_000 });
  for (const bad of [0, -0, 0.0001, 0.0004, 5e-324, 100_000.001, 1e308, Infinity, NaN]) {
    assert.equal(capacity.safeParse(bad).success, false, String(bad));
  }
  for (const ok of [0.001, 1, 49.999, 100_000]) assert.equal(capacity.parse(ok), ok);

  // Without bounds, the column's own range: numeric(12, 4) holds less than 10^8.
  const reading = decimal(COLUMNS["meter_readings.mw"]);
  assert.equal(reading.parse(99_999_999.9999), 99_999_999.9999);
  assert.equal(reading.safeParse(100_000_000).success, false);
  assert.equal(reading.safeParse(-100_000_000).success, false);

  assert.equal(int4().safeParse(2 ** 31).success, false);
  assert.equal(int4({ min: 1 }).parse(2 ** 31 - 1), 2 ** 31 - 1);
});

Deno.test("numeric: COLUMNS says what the migrations declare", async () => {
  const dir = new URL("../../db/migrations/", import.meta.url);
  let sql = "";
  for await (const f of Deno.readDir(dir)) {
    if (f.name.endsWith(".sql")) sql += await Deno.readTextFile(new URL(f.name, dir));
  }
  for (const [name, { precision, scale }] of Object.entries(COLUMNS)) {
    const [table, column] = name.split(".");
    const body = new RegExp(`CREATE TABLE ${table} \\(([\\s\\S]*?)\\n\\);`).exec(sql)?.[1];
    assert.ok(body, `table ${table} in the migrations`);
    const m = new RegExp(`^\\s*${column}\\s+numeric\\((\\d+),\\s*(\\d+)\\)`, "m").exec(body);
    assert.ok(m, `${name} is a numeric(p, s) column`);
    assert.deepEqual([Number(m[1]), Number(m[2])], [precision, scale], name);
  }
});

Deno.test("bid segments: prices and quantities with more decimals than the award columns keep are refused", () => {
  assert.equal(segmentSchema.safeParse({ price: 25.1234, quantity: 10.0001 }).success, true);
  const price = segmentSchema.safeParse({ price: 25.12345, quantity: 10 });
  assert.equal(price.success, false);
  assert.match(price.error!.issues[0].message, /price must be a price with at most 4 decimals/);
  assert.equal(segmentSchema.safeParse({ price: 25, quantity: 0.00001 }).success, false);
  assert.equal(segmentSchema.safeParse({ price: 25, quantity: 5e-324 }).success, false);
});
