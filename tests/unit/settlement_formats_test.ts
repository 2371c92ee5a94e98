/**
 * The statement formats' row checks (services/settlement/formats.ts): numbers read as Number() reads them,
 * refused with the field and the reason; times remembered from row to row without letting a bad one through.
 */
import assert from "node:assert/strict";
import {
  GENERIC_COLUMNS,
  PJM_COLUMNS,
  readerFor,
  RowError,
  type RowReader,
} from "../../services/settlement/formats.ts";

const generic = readerFor("generic", GENERIC_COLUMNS) as RowReader;
const pjm = readerFor("pjm", PJM_COLUMNS) as RowReader;

const row = (
  mw: string,
  start = "2025-07-01T00:00:00Z",
  end = "2025-07-01T01:00:00Z",
) => [start, end, "Western Hub", "da", mw, "30.5", "152.5"];

function refusal(reader: RowReader, record: string[]): string {
  try {
    reader.read(record);
  } catch (e) {
    assert.ok(e instanceof RowError, String(e));
    return e.message;
  }
  assert.fail(`accepted ${record.join(",")}`);
}

Deno.test("a number's text reads as Number() reads it", () => {
  const texts = [
    "0",
    "-0",
    "+7",
    "1.",
    ".5",
    "-.25",
    "0.3",
    "007.1000",
    "123456789.1234",
    "-99999999.9999",
    "1.10000000000000000000",
    "9999999999.9999",
  ];
  let seed = 7;
  const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let k = 0; k < 5000; k++) {
    const int = String(Math.floor(rand() * 10 ** Math.floor(rand() * 10)));
    const frac = String(Math.floor(rand() * 10_000)).padStart(4, "0").slice(0, Math.floor(rand() * 5));
    texts.push(`${rand() < 0.3 ? "-" : ""}${int}${frac ? "." + frac : ""}`);
  }
  for (const text of texts) {
    const [line] = generic.read(row(text));
    assert.ok(Object.is(line.mw, Number(text)), `${text}: ${line.mw} vs ${Number(text)}`);
  }
  // Past 15 digits (amounts reach 16).
  for (const text of ["999999999999.9999", "-123456789012.3457", "100000000000.0001"]) {
    const got: number = generic.read([...row("1").slice(0, 6), text])[0].amount;
    assert.equal(got, Number(text), text);
  }
});

Deno.test("a bad number is refused with the field and why", () => {
  const r = generic;
  for (const text of ["", "-", ".", "1.2.3", "1e3", "3O.5", " 1", "0x10", "Infinity", "NaN", "1,5"]) {
    assert.equal(refusal(r, row(text)), `mw ${JSON.stringify(text)} is not a number`, text);
  }
  assert.equal(refusal(r, row("10000000000")), "mw 10000000000 is out of range (|mw| < 10000000000)");
  assert.equal(refusal(r, row("1.00001")), "mw 1.00001 has more than 4 decimals");
  assert.equal(r.read(row("1.00010000"))[0].mw, 1.0001, "trailing zeros are not decimals the column loses");
});

Deno.test("times repeated from row to row are read once, and a bad one is refused every time", () => {
  const r = generic;
  const a = r.read(row("1"))[0], b = r.read(row("2"))[0];
  assert.equal(a.interval_start, Date.UTC(2025, 6, 1));
  assert.equal(b.interval_end, Date.UTC(2025, 6, 1, 1));
  for (let k = 0; k < 2; k++) {
    assert.match(refusal(r, row("1", "2025-07-01T00:00:00")), /interval_start .* is not an ISO-8601 instant/);
  }
  assert.equal(r.read(row("3", "2025-07-01T02:00:00+02:00"))[0].interval_start, Date.UTC(2025, 6, 1));
  const p = ["7/1/2025 1:00:00 PM", "1", "WESTERN HUB", "5", "30.5", "152.5", "-1", "31", "-31"];
  const [da, rt] = pjm.read(p);
  assert.equal(da.interval_start, Date.UTC(2025, 6, 1, 13));
  assert.deepEqual([da.amount, rt.amount, rt.interval_end], [-152.5, 31, Date.UTC(2025, 6, 1, 14)]);
  for (let k = 0; k < 2; k++) {
    assert.match(refusal(pjm, ["13/1/2025 1:00:00 PM", ...p.slice(1)]), /datetime_beginning_utc .* is not M\/D\/YYYY/);
  }
});
