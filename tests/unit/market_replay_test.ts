import assert from "node:assert/strict";
import { localDate } from "../../services/market/clock.ts";
import {
  parseOffsetTime,
  parsePjmUtcTime,
  readReplayFile,
  ReplayError,
  type ReplayOptions,
  replaySchedule,
  type ReplaySummary,
  replayTicks,
} from "../../services/market/replay.ts";
import { type PriceTick, priceTickSchema } from "../../services/market/types.ts";
import { serviceTest, testServices } from "../helpers/services.ts";

const HOUR = 3_600_000;
const HEADER = "Interval Start,Interval End,Market,Location,Location Type,LMP,Energy,Congestion,Loss";

/** Drains a replay: all ticks, and the summary the generator returns. */
async function drain(
  gen: AsyncGenerator<PriceTick[], ReplaySummary>,
): Promise<{ ticks: PriceTick[]; batches: number; summary: ReplaySummary }> {
  const ticks: PriceTick[] = [];
  let batches = 0;
  for (;;) {
    const r = await gen.next();
    if (r.done) return { ticks, batches, summary: r.value };
    batches++;
    ticks.push(...r.value);
  }
}

const read = (csv: string, options?: ReplayOptions) => drain(replayTicks(csv, options));

/** Ticks per local calendar day (New York) and whether every interval start is distinct. */
function hoursPerLocalDay(ticks: PriceTick[], tz = "America/New_York"): Map<string, number> {
  const days = new Map<string, number>();
  for (const t of ticks) {
    const d = localDate(tz, Date.parse(t.interval_start));
    days.set(d, (days.get(d) ?? 0) + 1);
  }
  return days;
}

function assertTick(t: PriceTick): void {
  priceTickSchema.parse(t);
  const u = (x: number) => Math.round(x * 1e4);
  assert.equal(u(t.lmp), u(t.energy) + u(t.congestion) + u(t.loss), JSON.stringify(t));
}

Deno.test("replay: time formats — PJM's M/D/YYYY h:mm:ss AM in UTC, ISO-8601 with offsets", () => {
  assert.equal(parsePjmUtcTime("5/1/2025 4:00:00 AM"), Date.UTC(2025, 4, 1, 4));
  assert.equal(parsePjmUtcTime("5/1/2025 12:00:00 AM"), Date.UTC(2025, 4, 1, 0));
  assert.equal(parsePjmUtcTime("5/1/2025 12:00:00 PM"), Date.UTC(2025, 4, 1, 12));
  assert.equal(parsePjmUtcTime("12/31/2025 11:00:00 PM"), Date.UTC(2025, 11, 31, 23));
  for (const bad of ["2/30/2025 1:00:00 AM", "5/1/2025 13:00:00 PM", "5/1/2025 04:00", "2025-05-01 04:00:00"]) {
    assert.throws(() => parsePjmUtcTime(bad), Error, bad);
  }
  assert.equal(parseOffsetTime("2025-03-09 01:00:00-05:00"), Date.UTC(2025, 2, 9, 6));
  assert.equal(parseOffsetTime("2025-03-09T03:00:00-04:00"), Date.UTC(2025, 2, 9, 7));
  assert.equal(parseOffsetTime("2025-03-09T07:00:00Z"), Date.UTC(2025, 2, 9, 7));
  assert.equal(parseOffsetTime("2025-03-09T07:00:00.000+00:00"), Date.UTC(2025, 2, 9, 7));
  assert.equal(parseOffsetTime("2025-03-09 02:00:00+0530"), Date.UTC(2025, 2, 8, 20, 30));
  // A wall-clock time without an offset is ambiguous on DST days: refused.
  assert.throws(() => parseOffsetTime("2025-11-02 01:00:00"), /offset/);
});

/** Hourly DA rows for a New York local day, with the offsets written out as an ISO would. */
function gridstatusDay(rows: [string, string][], location = "WESTERN HUB"): string {
  return [
    HEADER,
    ...rows.map(([start, end], i) =>
      `${start},${end},DAY_AHEAD_HOURLY,${location},HUB,${30 + i}.5,${30 + i},0.25,0.25`
    ),
  ].join("\n");
}

Deno.test("replay: gridstatus DA around the spring DST change has 23 distinct hours on 2025-03-09", async () => {
  const rows: [string, string][] = [];
  // Local hours 00 and 01 are EST (−05:00); 02:00 does not exist; 03..23 are EDT (−04:00).
  for (let h = 0; h < 24; h++) {
    if (h === 2) continue;
    const off = h < 2 ? "-05:00" : "-04:00";
    const endOff = h + 1 < 2 ? "-05:00" : "-04:00";
    const endH = h === 1 ? 3 : h + 1; // 01:00 EST is followed by 03:00 EDT
    const end = endH === 24
      ? "2025-03-10 00:00:00-04:00"
      : `2025-03-09 ${String(endH).padStart(2, "0")}:00:00${endOff}`;
    rows.push([`2025-03-09 ${String(h).padStart(2, "0")}:00:00${off}`, end]);
  }
  const { ticks, summary } = await read(gridstatusDay(rows), { zone: "PJM" });
  assert.equal(ticks.length, 23);
  assert.deepEqual([...hoursPerLocalDay(ticks)], [["2025-03-09", 23]]);
  assert.equal(ticks[0].interval_start, "2025-03-09T05:00:00.000Z");
  assert.equal(ticks[1].interval_end, "2025-03-09T07:00:00.000Z"); // 01:00 EST → 03:00 EDT is one hour
  assert.equal(ticks[2].interval_start, "2025-03-09T07:00:00.000Z");
  for (let i = 0; i < ticks.length; i++) {
    assertTick(ticks[i]);
    assert.equal(Date.parse(ticks[i].interval_end) - Date.parse(ticks[i].interval_start), HOUR);
    if (i) assert.equal(ticks[i].interval_start, ticks[i - 1].interval_end);
  }
  assert.equal(ticks[0].market, "DA");
  assert.equal(ticks[0].zone, "PJM");
  assert.deepEqual({ lmp: ticks[0].lmp, energy: ticks[0].energy, cong: ticks[0].congestion, loss: ticks[0].loss }, {
    lmp: 30.5,
    energy: 30,
    cong: 0.25,
    loss: 0.25,
  });
  assert.equal(summary.format, "gridstatus");
  assert.equal(summary.location, "WESTERN HUB");
});

Deno.test("replay: gridstatus DA around the autumn DST change has 25 distinct hours on 2025-11-02", async () => {
  const rows: [string, string][] = [
    ["2025-11-02 00:00:00-04:00", "2025-11-02 01:00:00-04:00"],
    ["2025-11-02 01:00:00-04:00", "2025-11-02 01:00:00-05:00"], // first 01:00 (EDT)
    ["2025-11-02 01:00:00-05:00", "2025-11-02 02:00:00-05:00"], // second 01:00 (EST)
  ];
  for (let h = 2; h < 24; h++) {
    const end = h === 23 ? "2025-11-03 00:00:00-05:00" : `2025-11-02 ${String(h + 1).padStart(2, "0")}:00:00-05:00`;
    rows.push([`2025-11-02 ${String(h).padStart(2, "0")}:00:00-05:00`, end]);
  }
  const { ticks, summary } = await read(gridstatusDay(rows), { zone: "PJM" });
  assert.equal(ticks.length, 25);
  assert.equal(summary.skipped.duplicate, 0);
  assert.deepEqual([...hoursPerLocalDay(ticks)], [["2025-11-02", 25]]);
  assert.equal(new Set(ticks.map((t) => t.interval_start)).size, 25);
  assert.deepEqual(ticks.slice(1, 3).map((t) => t.interval_start), [
    "2025-11-02T05:00:00.000Z",
    "2025-11-02T06:00:00.000Z",
  ]);
  for (let i = 1; i < ticks.length; i++) assert.equal(ticks[i].interval_start, ticks[i - 1].interval_end);
});

Deno.test("replay: gridstatus 5-minute RT through the repeated 01:00 hour keeps 24 distinct intervals", async () => {
  const lines = [HEADER];
  for (const off of ["-04:00", "-05:00"]) {
    for (let m = 0; m < 60; m += 5) {
      const mm = String(m).padStart(2, "0");
      const end = m === 55
        ? (off === "-04:00" ? "2025-11-02 01:00:00-05:00" : "2025-11-02 02:00:00-05:00")
        : `2025-11-02 01:${String(m + 5).padStart(2, "0")}:00${off}`;
      lines.push(`2025-11-02 01:${mm}:00${off},${end},REAL_TIME_5_MIN,TH_SP15_GEN-APND,Trading Hub,-12.5,-10,-2,-0.5`);
    }
  }
  // No zone option: TH_SP15 is a CAISO trading hub.
  const { ticks, summary } = await read(lines.join("\n"));
  assert.equal(summary.zone, "CAISO");
  assert.equal(ticks.length, 24);
  assert.equal(new Set(ticks.map((t) => t.interval_start)).size, 24);
  assert.ok(ticks.every((t) => t.zone === "CAISO" && t.market === "RT" && t.lmp === -12.5));
  assert.equal(ticks[11].interval_end, ticks[12].interval_start); // 01:55 EDT → 01:00 EST
  assert.equal(ticks.at(-1)!.interval_end, "2025-11-02T07:00:00.000Z");
});

Deno.test("replay: location filter, quoting, duplicates, missing components, zone inference and errors", async () => {
  const csv = [
    HEADER,
    `2025-07-01T00:00:00-04:00,2025-07-01T01:00:00-04:00,DAY_AHEAD_HOURLY,"HUB, A",HUB,20,19,0.5,0.5`,
    `2025-07-01T00:00:00-04:00,2025-07-01T01:00:00-04:00,DAY_AHEAD_HOURLY,B,HUB,40,39,1,0`,
    `2025-07-01T00:00:00-04:00,2025-07-01T01:00:00-04:00,DAY_AHEAD_HOURLY,"HUB, A",HUB,99,99,0,0`,
    `2025-07-01T01:00:00-04:00,2025-07-01T02:00:00-04:00,DAY_AHEAD_HOURLY,"HUB, A",HUB,21,,,`,
    `2025-07-01T01:00:00-04:00,2025-07-01T01:05:00-04:00,REAL_TIME_5_MIN,"HUB, A",HUB,22,30,0,0`,
  ].join("\r\n");
  // Default: the first location; the repeated interval is dropped (first row wins).
  const a = await read(csv, { zone: "ERCOT" });
  assert.equal(a.summary.location, "HUB, A");
  assert.deepEqual(a.ticks.map((t) => [t.market, t.lmp]), [["DA", 20], ["DA", 21], ["RT", 22]]);
  assert.deepEqual(a.summary.skipped, { otherLocation: 1, notCurrent: 0, duplicate: 1, invalid: 0 });
  assert.deepEqual(a.summary.locations, ["HUB, A", "B"]);
  // Empty components count as zero: energy is the LMP.
  assert.deepEqual([a.ticks[1].energy, a.ticks[1].congestion, a.ticks[1].loss], [21, 0, 0]);
  // Components that do not add up: the LMP is kept, energy is the remainder, the row is counted.
  assert.deepEqual([a.ticks[2].lmp, a.ticks[2].energy], [22, 22]);
  assert.equal(a.summary.inconsistent, 1);
  const b = await read(csv, { zone: "ERCOT", location: "b", batchSize: 1 });
  assert.deepEqual(b.ticks.map((t) => t.lmp), [40]);
  assert.equal(b.batches, 1);
  // A gridstatus file with no zone option and an unknown hub name: a clear error.
  await assert.rejects(
    read(csv),
    (e) => e instanceof ReplayError && /zone option/.test(e.message) && /line 2/.test(e.message),
  );
  await assert.rejects(read("a,b\n1,2"), (e) => e instanceof ReplayError && /unrecognised header/.test(e.message));
  await assert.rejects(read(""), ReplayError);
  await assert.rejects(read(csv, { batchSize: 0 }), RangeError);
});

Deno.test("replay: invalid rows fail with their line number, or are skipped and counted on request", async () => {
  const csv = [
    HEADER,
    `2025-07-01T00:00:00-04:00,2025-07-01T01:00:00-04:00,DAY_AHEAD_HOURLY,X,HUB,20,20,0,0`,
    `2025-07-01 01:00:00,2025-07-01T02:00:00-04:00,DAY_AHEAD_HOURLY,X,HUB,20,20,0,0`,
    `2025-07-01T02:00:00-04:00,2025-07-01T03:00:00-04:00,DAY_AHEAD_HOURLY,X,HUB,,0,0,0`,
    `2025-07-01T03:00:00-04:00,2025-07-01T04:00:00-04:00,HOUR_AHEAD,X,HUB,20,20,0,0`,
    `2025-07-01T04:00:00-04:00,2025-07-01T05:00:00-04:00,DAY_AHEAD_HOURLY,X,HUB,abc,20,0,0`,
    `2025-07-01T05:00:00-04:00,2025-07-01T06:00:00-04:00,DAY_AHEAD_HOURLY,X,HUB,25,25,0,0`,
  ].join("\n");
  await assert.rejects(
    read(csv, { zone: "SPP" }),
    (e) => e instanceof ReplayError && /^line 3: .*offset/.test(e.message),
  );
  const { ticks, summary } = await read(csv, { zone: "SPP", skipInvalid: true });
  assert.deepEqual(ticks.map((t) => t.lmp), [20, 25]);
  assert.equal(summary.skipped.invalid, 4);
  assert.deepEqual(summary.errors.map((e) => e.slice(0, 7)), ["line 3:", "line 4:", "line 5:", "line 6:"]);
  assert.match(summary.errors[1], /LMP is empty/);
  assert.match(summary.errors[2], /unknown Market/);
});

Deno.test("replay: PJM Data Miner rows — UTC column, superseded versions skipped, zone fixed to PJM", async () => {
  const head =
    "datetime_beginning_utc,datetime_beginning_ept,pnode_id,pnode_name,voltage,equipment,type,zone,system_energy_price_rt,total_lmp_rt,congestion_price_rt,marginal_loss_price_rt,row_is_current,version_nbr";
  const csv = [
    head,
    "11/2/2025 5:00:00 AM,11/2/2025 1:00:00 AM,51288,WESTERN HUB,,,HUB,,23.71,24.065135,0.147564,0.206738,True,1",
    "11/2/2025 6:00:00 AM,11/2/2025 1:00:00 AM,51288,WESTERN HUB,,,HUB,,20,21,1,0,False,1",
    "11/2/2025 6:00:00 AM,11/2/2025 1:00:00 AM,51288,WESTERN HUB,,,HUB,,20,21.5,1.25,0.25,True,2",
    "11/2/2025 6:00:00 AM,11/2/2025 1:00:00 AM,51217,EASTERN HUB,,,HUB,,20,22,2,0,True,1",
  ].join("\n");
  const { ticks, summary } = await read(csv);
  // The two 01:00 EPT hours of the fall-back night are distinct UTC hours.
  assert.deepEqual(ticks.map((t) => [t.interval_start, t.interval_end, t.market, t.lmp]), [
    ["2025-11-02T05:00:00.000Z", "2025-11-02T06:00:00.000Z", "RT", 24.0651],
    ["2025-11-02T06:00:00.000Z", "2025-11-02T07:00:00.000Z", "RT", 21.5],
  ]);
  // The LMP is kept; energy (published to the cent for RT) is the remainder: 24.0651 − 0.1476 − 0.2067.
  assert.deepEqual([ticks[0].energy, ticks[0].congestion, ticks[0].loss], [23.7108, 0.1476, 0.2067]);
  assert.equal(summary.format, "pjm");
  assert.equal(summary.zone, "PJM");
  assert.deepEqual(summary.skipped, { otherLocation: 1, notCurrent: 1, duplicate: 0, invalid: 0 });
  await assert.rejects(read(csv, { zone: "MISO" }), /zone PJM/);
});

Deno.test("replay schedule: groups by interval start, delays = market-time gap ÷ speed, never negative", async () => {
  const tick = (start: string, zone: PriceTick["zone"] = "PJM"): PriceTick => ({
    zone,
    market: "RT",
    interval_start: start,
    interval_end: new Date(Date.parse(start) + 300_000).toISOString(),
    lmp: 1,
    energy: 1,
    congestion: 0,
    loss: 0,
  });
  const ticks = [
    tick("2025-07-01T00:00:00.000Z"),
    tick("2025-07-01T00:00:00.000Z", "MISO"),
    tick("2025-07-01T00:05:00.000Z"),
    tick("2025-07-01T01:05:00.000Z"),
    tick("2025-07-01T00:30:00.000Z"), // out of order: no waiting backwards
    tick("2025-07-01T01:10:00.000Z"),
  ];
  const steps = [...replaySchedule(ticks, 60)];
  assert.deepEqual(steps.map((s) => [s.at, s.delayMs, s.ticks.length]), [
    ["2025-07-01T00:00:00.000Z", 0, 2],
    ["2025-07-01T00:05:00.000Z", 5000, 1],
    ["2025-07-01T01:05:00.000Z", 60_000, 1],
    ["2025-07-01T00:30:00.000Z", 0, 1],
    ["2025-07-01T01:10:00.000Z", 5000, 1],
  ]);
  // Batches in, async: the same steps (batch boundaries do not split a group).
  async function* batches() {
    yield ticks.slice(0, 1);
    yield ticks.slice(1, 4);
    yield ticks.slice(4);
  }
  const asyncSteps = [];
  for await (const s of replaySchedule(batches(), 60)) asyncSteps.push(s);
  assert.deepEqual(asyncSteps, steps);
  assert.deepEqual([...replaySchedule([], 1)], []);
  assert.equal([...replaySchedule(ticks, 3600)][2].delayMs, 1000);
  assert.throws(() => replaySchedule(ticks, 0), RangeError);
  assert.throws(() => replaySchedule(ticks, Infinity), RangeError);
});

const PJM_HUBS = 12;

for (const market of ["da", "rt"] as const) {
  serviceTest(
    `replay: PJM ${market}_hrl_lmps file — every hub, unique UTC hours, whole local days`,
    ["shared-data"],
    async () => {
      const file = `${testServices.sharedData}/pjm_${market}_hrl_lmps_2025-05_2025-07.csv`;
      const first = await drain(readReplayFile(file));
      assert.equal(first.summary.locations.length, PJM_HUBS);
      assert.equal(first.summary.location, "EASTERN HUB"); // the default: the first location in the file
      let sum = 0, n = 0, negatives = 0, max = -Infinity;
      for (const hub of first.summary.locations) {
        const { ticks, summary, batches } = await drain(readReplayFile(file, { location: hub }));
        assert.equal(summary.rows, 26_508);
        assert.equal(ticks.length, 2209, hub);
        assert.ok(batches >= 5, "streamed in batches");
        assert.deepEqual(summary.skipped, { otherLocation: 26_508 - 2209, notCurrent: 0, duplicate: 0, invalid: 0 });
        assert.equal(summary.inconsistent, 0);
        assert.equal(new Set(ticks.map((t) => t.interval_start)).size, ticks.length, `${hub}: duplicate intervals`);
        for (let i = 0; i < ticks.length; i++) {
          assertTick(ticks[i]);
          assert.equal(ticks[i].market, market.toUpperCase());
          if (i) {
            assert.equal(
              ticks[i].interval_start,
              ticks[i - 1].interval_end,
              `${hub}: gap at ${ticks[i].interval_start}`,
            );
          }
          sum += ticks[i].lmp;
          n++;
          if (ticks[i].lmp < 0) negatives++;
          max = Math.max(max, ticks[i].lmp);
        }
        // May–July lies wholly inside US daylight time: every Eastern day has 24 hours, and the file
        // ends with the first hour of 2025-08-01. (The file has no DST change to test; the fixtures do.)
        const days = hoursPerLocalDay(ticks);
        assert.equal(days.size, 93);
        for (const [d, h] of days) assert.equal(h, d === "2025-08-01" ? 1 : 24, `${hub} ${d}`);
        assert.equal(ticks[0].interval_start, "2025-05-01T04:00:00.000Z");
        assert.equal(ticks.at(-1)!.interval_start, "2025-08-01T04:00:00.000Z");
      }
      // The data README's figures: DA mean 43.6; RT mean 44.6, max 1,989, 0.3% negative.
      const mean = sum / n;
      if (market === "da") assert.ok(Math.abs(mean - 43.6) < 0.05, `mean ${mean}`);
      else {
        assert.ok(Math.abs(mean - 44.6) < 0.05, `mean ${mean}`);
        assert.ok(Math.abs(max - 1989.05) < 0.01, `max ${max}`);
        assert.ok(Math.abs(negatives / n - 0.003) < 0.0005, `negatives ${negatives / n}`);
      }
    },
  );
}

serviceTest("replay: stopping early closes the file", ["shared-data"], async () => {
  // Deno's resource sanitizer fails this test if the file stays open.
  let steps = 0;
  const file = `${testServices.sharedData}/pjm_da_hrl_lmps_2025-05_2025-07.csv`;
  for await (const step of replaySchedule(readReplayFile(file, { batchSize: 10 }), 60)) {
    assert.equal(step.ticks.length, 1);
    if (++steps === 3) break;
  }
  assert.equal(steps, 3);
});

Deno.test("replay: every location's rows as location prices, named as virtual bids name them", async () => {
  const head =
    "datetime_beginning_utc,datetime_beginning_ept,pnode_id,pnode_name,voltage,equipment,type,zone,system_energy_price_da,total_lmp_da,congestion_price_da,marginal_loss_price_da,row_is_current,version_nbr";
  const pjm = [
    head,
    "5/1/2025 4:00:00 AM,5/1/2025 12:00:00 AM,51217,EASTERN HUB,,,HUB,,30.98,24.966949,-6.094939,0.081888,True,1",
    "5/1/2025 4:00:00 AM,5/1/2025 12:00:00 AM,51288,WESTERN HUB,,,HUB,,30.98,31,0,0.02,False,1",
    "5/1/2025 4:00:00 AM,5/1/2025 12:00:00 AM,51288,WESTERN HUB,,,HUB,,30.98,32.5,1.5,0.02,True,2",
    "5/1/2025 4:00:00 AM,5/1/2025 12:00:00 AM,51288,WESTERN HUB,,,HUB,,30.98,40,1.5,0.02,True,3",
  ].join("\n");
  const prices: unknown[] = [];
  const { ticks, summary } = await read(pjm, { onLocationPrice: (p) => prices.push(p) });
  const at = { zone: "PJM", market: "DA", interval_start: "2025-05-01T04:00:00.000Z" };
  const end = "2025-05-01T05:00:00.000Z";
  // The replayed hub's own row too; a superseded version is not a price; the first current row wins.
  assert.deepEqual(prices, [
    { ...at, location: "EASTERN HUB", interval_end: end, lmp: 24.9669 },
    { ...at, location: "WESTERN HUB", interval_end: end, lmp: 32.5 },
  ]);
  assert.equal(summary.locationPrices, 2);
  assert.deepEqual(ticks.map((t) => t.lmp), [24.9669], "the zone price is still the one replayed location");
  // Without the callback other locations are not read at all.
  assert.equal((await read(pjm)).summary.locationPrices, 0);

  const grid = [
    HEADER,
    `2025-07-01T00:00:00-04:00,2025-07-01T01:00:00-04:00,DAY_AHEAD_HOURLY,western hub,HUB,20,20,0,0`,
    `2025-07-01T00:00:00-04:00,2025-07-01T01:00:00-04:00,DAY_AHEAD_HOURLY, some node ,NODE,21,21,0,0`,
    `2025-07-01T01:00:00-04:00,2025-07-01T02:00:00-04:00,DAY_AHEAD_HOURLY,some node,NODE,abc,0,0,0`,
  ].join("\n");
  const names: string[] = [];
  await assert.rejects(
    read(grid, { zone: "PJM", onLocationPrice: (p) => names.push(p.location) }),
    (e) => e instanceof ReplayError && /^line 4: .*LMP/.test(e.message),
    "a broken row of another location fails with its line when prices are taken from it",
  );
  names.length = 0;
  const skipped = await read(grid, { zone: "PJM", skipInvalid: true, onLocationPrice: (p) => names.push(p.location) });
  assert.deepEqual(names, ["WESTERN HUB", "SOME NODE"]);
  assert.equal(skipped.summary.skipped.invalid, 1);
});
