/** The day grid's data: DST days' hours, pasting a spreadsheet block, fill down, copies, and per-cell issues. */
import assert from "node:assert/strict";
import {
  applyTemplate,
  cellKey,
  clearGrid,
  copyDay,
  copyHour,
  dayHours,
  defaultDay,
  emptyGrid,
  fillDown,
  gridBids,
  parseTsv,
  pasteBlock,
  serverIssues,
  setCell,
  setSide,
  templateHours,
  validateDay,
} from "../../components/day_grid.ts";
import { ISOS } from "../../services/market/zones.ts";

const battery = {
  id: "00000000-0000-4000-8000-000000000001",
  kind: "storage" as const,
  zone: "PJM" as const,
  capacity_mw: 50,
  charge_mw: 50,
  discharge_mw: 50,
  energy_mwh: 100,
  round_trip_efficiency: 1,
  min_soc: 0,
  max_soc: 1,
};
const NOW = new Date("2025-07-01T12:00:00Z");
const DAY = "2025-07-03";

Deno.test("day grid: 24 hours, 23 on the spring day and 25 with HE2* on the autumn day (MISO: always 24)", () => {
  for (const zone of ISOS) {
    const normal = dayHours(zone, "2025-07-03");
    assert.deepEqual(normal.map((h) => h.label), Array.from({ length: 24 }, (_, i) => `HE${i + 1}`), zone);
    const spring = dayHours(zone, "2025-03-09");
    const autumn = dayHours(zone, "2025-11-02");
    if (zone === "MISO") {
      assert.equal(spring.length, 24);
      assert.equal(autumn.length, 24);
      continue;
    }
    assert.equal(spring.length, 23, zone);
    // The wall clock jumps from 02:00 to 03:00: the hour that would end at 03:00 does not exist.
    assert.deepEqual(spring.slice(0, 3).map((h) => h.label), ["HE1", "HE2", "HE4"], zone);
    assert.equal(autumn.length, 25, zone);
    assert.deepEqual(autumn.slice(0, 4).map((h) => h.label), ["HE1", "HE2", "HE2*", "HE3"], zone);
    // Consecutive UTC hours, no gap, no overlap.
    for (let i = 1; i < autumn.length; i++) {
      assert.equal(Date.parse(autumn[i].start) - Date.parse(autumn[i - 1].start), 3_600_000);
    }
  }
  // PJM HE1 of a summer day starts at local midnight EDT = 04:00Z.
  assert.equal(dayHours("PJM", DAY)[0].start, "2025-07-03T04:00:00.000Z");
  assert.equal(dayHours("CAISO", DAY)[0].start, "2025-07-03T07:00:00.000Z");
});

Deno.test("day grid: the default day is the first whose gate is open", () => {
  // PJM's gate is 11:00 EPT the day before: at 12:00Z (08:00 EDT) on 1 July, 2 July is still open.
  assert.equal(defaultDay("PJM", NOW), "2025-07-02");
  assert.equal(defaultDay("PJM", new Date("2025-07-01T16:00:00Z")), "2025-07-03");
});

Deno.test("day grid: a TSV block pastes from the cell, grows segments, drops rows past the day", () => {
  const block = parseTsv("$1,200.50\t10\t40\t5\r\n20\t15\r\n");
  assert.deepEqual(block, [["1200.50", "10", "40", "5"], ["20", "15"]]);
  const g = emptyGrid(24, 1, "offer");
  const { grid, dropped } = pasteBlock(g, 22, 0, parseTsv("1\t2\t3\t4\n5\t6\n7\t8"));
  assert.equal(dropped, 1);
  assert.equal(grid.segments, 2);
  assert.deepEqual(grid.rows[22].cells, ["1", "2", "3", "4"]);
  assert.deepEqual(grid.rows[23].cells, ["5", "6", "", ""]);
  assert.deepEqual(grid.rows[0].cells, ["", "", "", ""]);
});

Deno.test("day grid: fill down, copy an hour to all / peak / off-peak, clear", () => {
  const hours = dayHours("PJM", DAY);
  let g = setCell(setCell(emptyGrid(24, 1, "offer"), 5, 0, "30"), 5, 1, "10");
  const down = fillDown(g, 5, 0);
  assert.deepEqual(down.rows.map((r) => r.cells[0]), [...Array(5).fill(""), ...Array(19).fill("30")]);
  assert.equal(down.rows[6].cells[1], "", "only the column is filled");
  g = setSide(g, 5, "bid");
  const peak = copyHour(g, hours, 5, "peak");
  const copied = peak.rows.map((r, i) => (r.cells[0] === "30" ? hours[i].he : null)).filter((x) => x !== null);
  assert.deepEqual(copied, [6, ...Array.from({ length: 16 }, (_, i) => i + 8)], "HE6 itself plus HE8–HE23");
  assert.equal(peak.rows[10].side, "bid");
  const off = copyHour(g, hours, 5, "offpeak");
  assert.deepEqual(off.rows.filter((r) => r.cells[0] === "30").length, 8, "HE1–7, HE24");
  assert.equal(copyHour(g, hours, 5, "all").rows.filter((r) => r.cells[1] === "10").length, 24);
  assert.ok(clearGrid(peak).rows.every((r) => r.cells.every((c) => c === "")));
});

Deno.test("day grid: yesterday's bids land on the hours with the same label", () => {
  const hours = dayHours("PJM", "2025-11-03");
  const y = dayHours("PJM", "2025-11-02"); // 25 hours: HE2* exists yesterday only
  const bids = y.map((h, i) => ({
    interval_start: h.start,
    side: "offer" as const,
    segments: [{ price: i, quantity: 1 }],
  }));
  const g = copyDay(emptyGrid(hours.length, 1, "offer"), hours, "PJM", "2025-11-02", bids);
  assert.equal(g.rows[1].cells[0], "1", "HE2 from HE2");
  assert.equal(g.rows[2].cells[0], "3", "HE3 from HE3 (HE2*, yesterday's third hour, has no place)");
  assert.equal(g.rows[23].cells[0], "24");
});

Deno.test("day grid: each cell is checked with the server's rules, and the day's energy together", () => {
  const hours = dayHours("PJM", DAY);
  let g = emptyGrid(24, 2, "offer");
  g = pasteBlock(g, 0, 0, parseTsv("30\t10\t25\t5")).grid; // offer prices must not decrease
  g = pasteBlock(g, 1, 0, parseTsv("30\t60")).grid; // 60 MW > 50 MW discharge
  g = pasteBlock(g, 2, 0, parseTsv("abc\t5")).grid;
  const issues = validateDay(g, hours, battery, NOW);
  assert.match(
    issues.cells[cellKey(0, 2)].join(),
    /^\$\/MWh 2 \$25\/MWh is below \$\/MWh 1 \$30\/MWh: .*must not decrease/,
  );
  assert.match(issues.rows[1].join(), /^The curve totals? /);
  assert.match(issues.rows[1].join(), /50 MW/);
  assert.match(issues.cells[cellKey(2, 0)].join(), /^\$\/MWh 1 /);
  assert.equal(issues.rows[5], undefined, "blank rows are not bids");

  // Three hours discharging 40 MW is 120 MWh out of a 100 MWh battery: the energy check across the day.
  let day = emptyGrid(24, 1, "offer");
  for (const row of [10, 11, 12]) day = pasteBlock(day, row, 0, parseTsv("50\t40")).grid;
  const energy = validateDay(day, hours, battery, NOW);
  assert.equal(energy.count, 1);
  assert.match(energy.rows[12].join(), /swing by 120 MWh/);
  assert.equal(validateDay(day, hours, { ...battery, energy_mwh: 200 }, NOW).count, 0);
  // A gate that has closed is named too.
  assert.match(validateDay(day, hours, battery, new Date("2025-07-03T00:00:00Z")).rows[10].join(), /gate closed/);
  const { bids, rows } = gridBids(day, hours, battery.id);
  assert.deepEqual(rows, [10, 11, 12]);
  assert.equal(bids[0].interval_start, hours[10].start);
});

Deno.test("day grid: the batch API's refusal lands on the rows it names", () => {
  const body = {
    error: {
      details: [
        { index: 1, path: "body.bids.1.segments.0.price", message: "too high" },
        { index: 2, path: "bids.2.segments", message: "bids.2.segments: energy" },
      ],
    },
  };
  const found = serverIssues(body, [4, 7, 9]);
  assert.deepEqual(found.cells[cellKey(7, 0)], ["too high"]);
  assert.deepEqual(found.rows[9], ["energy"]);
});

Deno.test("day grid: a day saved as a template applies to another day by hour-ending label", () => {
  const hours = dayHours("PJM", DAY);
  let g = emptyGrid(24, 2, "offer");
  g = pasteBlock(g, 0, 0, parseTsv("25\t10\t15\t10\n".repeat(3))).grid;
  for (const r of [0, 1, 2]) g = setSide(g, r, "bid");
  g = pasteBlock(g, 16, 0, parseTsv("40\t10")).grid;
  const saved = templateHours(g, hours);
  assert.ok(saved.hours);
  assert.deepEqual(saved.hours.map((h) => h.label), ["HE1", "HE2", "HE3", "HE17"]);
  assert.deepEqual(saved.hours[3], { label: "HE17", side: "offer", segments: [{ price: 40, quantity: 10 }] });
  assert.match(templateHours(setCell(g, 5, 0, "x"), hours).problem ?? "", /HE6: segment 1/);
  assert.equal(templateHours(emptyGrid(24, 1, "offer"), hours).problem, "The day is empty");

  // The autumn day: HE2* takes HE2's curve; the spring day has no HE3, so HE3's curve is not used.
  const autumn = dayHours("PJM", "2025-11-02");
  const a = applyTemplate(emptyGrid(autumn.length, 1, "offer"), autumn, saved.hours);
  assert.equal(a.segments, 2);
  assert.deepEqual(a.rows.slice(0, 4).map((r) => [r.side, r.cells[0]]), [
    ["bid", "25"],
    ["bid", "25"],
    ["bid", "25"],
    ["bid", "25"],
  ]);
  assert.equal(a.rows[4].cells[0], "", "HE4 is not in the template");
  const spring = dayHours("PJM", "2025-03-09");
  const s = applyTemplate(emptyGrid(spring.length, 1, "offer"), spring, saved.hours);
  assert.deepEqual(s.rows.slice(0, 3).map((r) => r.cells[0]), ["25", "25", ""], "HE1, HE2, then HE4");
  assert.equal(s.rows[spring.findIndex((h) => h.label === "HE17")].cells[0], "40");
});

Deno.test("day grid in ¢/kWh: cells typed in ¢/kWh go in $/MWh exactly; loaded bids, templates and messages read in ¢/kWh", () => {
  const hours = dayHours("PJM", DAY);
  let g = emptyGrid(24, 2, "offer");
  g = pasteBlock(g, 0, 0, parseTsv("4.125\t10\t4.135\t5")).grid;
  assert.deepEqual(parseTsv("4.125¢\t10\t4.135 ¢\t5"), [["4.125", "10", "4.135", "5"]]);
  const { bids } = gridBids(g, hours, battery.id, "¢/kWh");
  assert.deepEqual(bids[0].segments, [{ price: 41.25, quantity: 10 }, { price: 41.35, quantity: 5 }]);
  assert.equal(validateDay(g, hours, battery, NOW, [], "¢/kWh").count, 0);
  // The same text in $/MWh is a different price.
  assert.deepEqual(gridBids(g, hours, battery.id).bids[0].segments[0], { price: 4.125, quantity: 10 });

  g = pasteBlock(g, 1, 0, parseTsv("4.1255\t10")).grid; // finer than the API's cent per MWh
  g = pasteBlock(g, 2, 0, parseTsv("4.5\t10\t3.5\t5")).grid; // offer prices must not decrease
  const issues = validateDay(g, hours, battery, NOW, [], "¢/kWh");
  assert.deepEqual(issues.cells[cellKey(1, 0)], ["¢/kWh 1 can have at most 3 decimals in ¢/kWh"]);
  assert.match(
    issues.cells[cellKey(2, 2)].join(),
    /^¢\/kWh 2 3\.5 ¢\/kWh is below ¢\/kWh 1 4\.5 ¢\/kWh: .*must not decrease/,
  );
  assert.equal(issues.count, 2);
  const refused = serverIssues(
    {
      error: {
        details: [{
          index: 0,
          path: "bids.0.segments.0.price",
          message: "bids.0.segments.0.price $1,500/MWh is above PJM's cap of $1,000/MWh",
        }],
      },
    },
    [3],
    "¢/kWh",
  );
  assert.deepEqual(refused.cells[cellKey(3, 0)], ["¢/kWh 1 150 ¢/kWh is above PJM's cap of 100 ¢/kWh"]);

  // Yesterday's bids and templates ($/MWh in the API) land in ¢/kWh, and save back unchanged.
  const day = copyDay(emptyGrid(24, 1, "offer"), hours, "PJM", DAY, [
    {
      interval_start: hours[4].start,
      side: "offer",
      segments: [{ price: 41.35, quantity: 2 }, { price: -0.5, quantity: 1 }],
    },
  ], "¢/kWh");
  assert.deepEqual(day.rows[4].cells, ["4.135", "2", "-0.05", "1"]);
  const t = templateHours(day, hours, "¢/kWh");
  assert.deepEqual(t.hours, [{
    label: "HE5",
    side: "offer",
    segments: [{ price: 41.35, quantity: 2 }, { price: -0.5, quantity: 1 }],
  }]);
  const applied = applyTemplate(emptyGrid(24, 1, "offer"), hours, t.hours!, "¢/kWh");
  assert.deepEqual(applied.rows[4].cells, ["4.135", "2", "-0.05", "1"]);
  assert.match(templateHours(setCell(day, 4, 0, "4.1355"), hours, "¢/kWh").problem ?? "", /HE5: segment 1/);
});
