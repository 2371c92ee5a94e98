import assert from "node:assert/strict";
import { messageInUnit, parsePriceInput, priceInputText, priceLimitText } from "../../services/market/price_input.ts";

function dollars(text: string, unit: "$/MWh" | "¢/kWh"): number {
  const r = parsePriceInput(text, unit);
  assert.ok(r.ok, `${text} ${unit} refused: ${!r.ok && r.message}`);
  return r.dollarsPerMwh;
}

Deno.test("¢/kWh is shifted to $/MWh exactly, not multiplied", () => {
  assert.equal(dollars("4.125", "¢/kWh"), 41.25);
  // 4.135 * 10 is 41.349999999999994 in floats; the shift gives the API's 2-decimal value.
  assert.notEqual(4.135 * 10, 41.35);
  assert.equal(dollars("4.135", "¢/kWh"), 41.35);
  assert.equal(dollars("0.001", "¢/kWh"), 0.01);
  assert.equal(dollars(".5", "¢/kWh"), 5);
  assert.equal(dollars("12", "¢/kWh"), 120);
  assert.equal(dollars("-0.05", "¢/kWh"), -0.5);
  assert.equal(dollars("−2.5", "¢/kWh"), -25);
  assert.equal(dollars("4.1250", "¢/kWh"), 41.25);
  assert.equal(dollars(" 41.25 ", "$/MWh"), 41.25);
  assert.equal(dollars("-0", "$/MWh"), 0);
  assert.ok(Object.is(dollars("-0", "¢/kWh"), 0));
});

Deno.test("more decimals than the API holds are refused with a plain message", () => {
  const r = parsePriceInput("4.1255", "¢/kWh", "Segment 1 price");
  assert.deepEqual(r, { ok: false, message: "Segment 1 price can have at most 3 decimals in ¢/kWh" });
  const d = parsePriceInput("41.255", "$/MWh");
  assert.deepEqual(d, { ok: false, message: "Price can have at most 2 decimals in $/MWh" });
  for (const bad of ["", " ", "abc", "4,125", "1e3", ".", "-", "4.1.2"]) {
    const b = parsePriceInput(bad, "¢/kWh");
    assert.deepEqual(b, { ok: false, message: "Price must be a number in ¢/kWh" }, JSON.stringify(bad));
  }
});

Deno.test("$/MWh back to the unit's input text, and round trips on every cent", () => {
  assert.equal(priceInputText(41.25, "¢/kWh"), "4.125");
  assert.equal(priceInputText(41.25, "$/MWh"), "41.25");
  assert.equal(priceInputText(0.01, "¢/kWh"), "0.001");
  assert.equal(priceInputText(-0.5, "¢/kWh"), "-0.05");
  assert.equal(priceInputText(1000, "¢/kWh"), "100");
  assert.equal(priceInputText(0, "¢/kWh"), "0");
  assert.equal(priceInputText(-0.001, "$/MWh"), "0");
  assert.equal(priceLimitText(-1000, "¢/kWh"), "-100 ¢/kWh");
  for (let cents = -300_000; cents <= 300_000; cents += 7) {
    const v = cents / 100;
    for (const unit of ["$/MWh", "¢/kWh"] as const) {
      const text = priceInputText(v, unit);
      assert.equal(dollars(text, unit), v, `${v} ${unit} via ${text}`);
    }
  }
});

Deno.test("the API's rule messages read in ¢/kWh, with the same numbers shifted", () => {
  const msg = "segments.1.price $41.25/MWh is below segments.0.price $1,000/MWh: offer prices must not decrease";
  assert.equal(
    messageInUnit(msg, "¢/kWh"),
    "segments.1.price 4.125 ¢/kWh is below segments.0.price 100 ¢/kWh: offer prices must not decrease",
  );
  assert.equal(
    messageInUnit("x −$0.5/MWh is below PJM's floor of −$1,000/MWh", "¢/kWh"),
    "x −0.05 ¢/kWh is below PJM's floor of −100 ¢/kWh",
  );
  assert.equal(
    messageInUnit("segments.0.price must be a price in $/MWh", "¢/kWh"),
    "segments.0.price must be a price in ¢/kWh",
  );
  assert.equal(messageInUnit(msg, "$/MWh"), msg);
});
