import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { addDays, localDayBounds } from "../../services/market/clock.ts";
import { backfill, liveTicks, simulateDayAhead, simulateRealTime } from "../../services/market/simulator.ts";
import { type PriceTick, priceTickSchema } from "../../services/market/types.ts";
import { type Iso, ISOS, ZONES } from "../../services/market/zones.ts";
import { serviceTest, testServices } from "../helpers/services.ts";

const HOUR = 3_600_000;
const MIN5 = 300_000;

/** Cents arithmetic: lmp is the exact sum of its rounded components. */
function assertComponents(t: PriceTick): void {
  const c = (x: number) => Math.round(x * 100);
  for (const x of [t.lmp, t.energy, t.congestion, t.loss]) {
    assert.ok(Math.abs(x * 100 - c(x)) < 1e-6, `${x} not in cents`);
  }
  assert.equal(c(t.lmp), c(t.energy) + c(t.congestion) + c(t.loss), JSON.stringify(t));
  assert.ok(Math.abs(t.lmp - (t.energy + t.congestion + t.loss)) < 1e-9);
}

interface Stats {
  n: number;
  mean: number;
  sd: number;
  negShare: number;
  spikeShare: number;
}

/** Spike: an hour above 3× the series' own mean. */
function stats(xs: number[]): Stats {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  return {
    n,
    mean,
    sd,
    negShare: xs.filter((x) => x < 0).length / n,
    spikeShare: xs.filter((x) => x > 3 * mean).length / n,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** DA hourly prices and RT prices averaged to the hour (as PJM's rt_hrl_lmps are) over [from, to). */
function simulateHourly(zone: Iso, from: string, to: string, seed: number): { da: number[]; rt: number[] } {
  const da: number[] = [], rt: number[] = [];
  for (let d = from; d < to; d = addDays(d, 1)) {
    const day = simulateDayAhead(zone, d, seed);
    for (const t of day) da.push(t.lmp);
    const rtTicks = simulateRealTime(zone, new Date(day[0].interval_start), new Date(day.at(-1)!.interval_end), seed);
    for (let i = 0; i < rtTicks.length; i += 12) {
      let s = 0;
      for (let k = i; k < i + 12; k++) s += rtTicks[k].lmp;
      rt.push(s / 12);
    }
  }
  return { da, rt };
}

Deno.test("simulator: same seed and inputs give identical ticks; other seeds and zones differ", () => {
  const a = simulateDayAhead("PJM", "2025-07-15", 42);
  assert.deepEqual(simulateDayAhead("PJM", "2025-07-15", 42), a);
  assert.notDeepEqual(simulateDayAhead("PJM", "2025-07-15", 43).map((t) => t.lmp), a.map((t) => t.lmp));
  assert.notDeepEqual(simulateDayAhead("NYISO", "2025-07-15", 42).map((t) => t.lmp), a.map((t) => t.lmp));
  const from = new Date("2025-07-15T12:00:00Z"), to = new Date("2025-07-15T18:00:00Z");
  assert.deepEqual(simulateRealTime("ERCOT", from, to, 7), simulateRealTime("ERCOT", from, to, 7));
});

Deno.test("simulator: results do not depend on the order or grouping of calls", () => {
  const seed = 20_240_501;
  const from = Date.parse("2025-06-30T20:00:00Z");
  // One long range equals the same range computed in pieces, in reverse order.
  const whole = simulateRealTime("CAISO", new Date(from), new Date(from + 6 * HOUR), seed);
  const pieces: PriceTick[][] = [];
  for (let i = 5; i >= 0; i--) {
    pieces[i] = simulateRealTime("CAISO", new Date(from + i * HOUR), new Date(from + (i + 1) * HOUR), seed);
  }
  assert.deepEqual(pieces.flat(), whole);
  // The live tick at any instant equals the backfill's tick for that interval.
  const now = new Date("2025-11-03T15:07:31Z");
  const history = new Map<string, PriceTick>();
  for (const chunk of backfill(["PJM", "MISO"], 3, now, seed)) {
    for (const t of chunk) history.set(`${t.zone}|${t.market}|${t.interval_start}`, t);
  }
  for (const zone of ["PJM", "MISO"] as const) {
    for (let i = 1; i <= 100; i++) {
      const at = new Date(now.getTime() - i * 2_591_111); // ~43 min apart, arbitrary seconds within intervals
      const live = liveTicks(zone, at, seed);
      assert.equal(Date.parse(live.interval_start), Math.floor(at.getTime() / MIN5) * MIN5);
      assert.deepEqual(history.get(`${zone}|RT|${live.interval_start}`), live);
    }
    // DA of a day equals the backfill's DA of that day.
    for (const t of simulateDayAhead(zone, "2025-11-02", seed)) {
      assert.deepEqual(history.get(`${zone}|DA|${t.interval_start}`), t);
    }
  }
});

Deno.test("simulator: every tick is a valid PriceTick and lmp = energy + congestion + loss to the cent", () => {
  for (const zone of ISOS) {
    const ticks = [
      ...simulateDayAhead(zone, "2025-04-12", 1),
      ...simulateRealTime(zone, new Date("2025-04-12T00:00:00Z"), new Date("2025-04-14T00:00:00Z"), 1),
    ];
    for (const t of ticks) {
      priceTickSchema.parse(t);
      assert.equal(t.zone, zone);
      assertComponents(t);
    }
  }
  // ERCOT prices carry no marginal-loss component.
  assert.ok(simulateDayAhead("ERCOT", "2025-04-12", 1).every((t) => t.loss === 0));
});

Deno.test("simulator: DA days follow the market clock — 23 and 25 hours on US DST changes, MISO always 24", () => {
  for (const zone of ISOS) {
    for (const [date, dstHours] of [["2025-03-09", 23], ["2025-11-02", 25], ["2025-07-01", 24]] as const) {
      const ticks = simulateDayAhead(zone, date, 3);
      const want = zone === "MISO" ? 24 : dstHours;
      assert.equal(ticks.length, want, `${zone} ${date}`);
      const [start, end] = localDayBounds(ZONES[zone].timeZone, date);
      assert.equal(ticks[0].interval_start, new Date(start).toISOString());
      assert.equal(ticks.at(-1)!.interval_end, new Date(end).toISOString());
      for (let i = 1; i < ticks.length; i++) assert.equal(ticks[i].interval_start, ticks[i - 1].interval_end);
      assert.ok(
        ticks.every((t) => t.market === "DA" && Date.parse(t.interval_end) - Date.parse(t.interval_start) === HOUR),
      );
    }
  }
  // RT over the New York fall-back day: 25 h of 5-minute intervals, all distinct.
  const [a, b] = localDayBounds("America/New_York", "2025-11-02");
  const rt = simulateRealTime("NYISO", new Date(a), new Date(b), 3);
  assert.equal(rt.length, 300);
  assert.equal(new Set(rt.map((t) => t.interval_start)).size, 300);
  assert.throws(() => simulateDayAhead("PJM", "2025-02-29", 1), RangeError);
  assert.throws(() => simulateDayAhead("PJM", "2025-07-01", 1.5), RangeError);
});

Deno.test("simulator: RT ranges are 5-minute intervals overlapping [from, to)", () => {
  const rt = simulateRealTime("SPP", new Date("2025-07-01T00:02:00Z"), new Date("2025-07-01T00:10:00Z"), 9);
  assert.deepEqual(rt.map((t) => t.interval_start), ["2025-07-01T00:00:00.000Z", "2025-07-01T00:05:00.000Z"]);
  assert.equal(rt[0].interval_end, "2025-07-01T00:05:00.000Z");
  assert.deepEqual(simulateRealTime("SPP", new Date("2025-07-01T00:10:00Z"), new Date("2025-07-01T00:10:00Z"), 9), []);
  assert.equal(liveTicks("SPP", new Date("2025-07-01T00:09:59.999Z"), 9).interval_start, rt[1].interval_start);
});

Deno.test("simulator: a resumed backfill gives the RT intervals from its resume point only, the same prices", () => {
  const now = new Date("2025-03-10T18:02:00Z");
  const from = new Date("2025-03-10T12:03:00Z"); // rounded up to 12:05
  const rt = (chunks: Iterable<PriceTick[]>) =>
    [...chunks].flat().filter((t) => t.market === "RT").map((t) => `${t.zone}|${t.interval_start}|${t.lmp}`);
  const resumed = rt(backfill(ISOS, 2, now, 5, from));
  assert.equal(resumed.length, 7 * 12 * 6 - 7, "12:05 … 17:55 in every zone");
  assert.ok(resumed.every((k) => k.split("|")[1] >= "2025-03-10T12:05:00.000Z"));
  const full = new Set(rt(backfill(ISOS, 2, now, 5)));
  assert.ok(resumed.every((k) => full.has(k)), "the prices a full backfill gives");
  // Never further back than the window; nothing when there is no gap.
  assert.equal(rt(backfill(ISOS, 2, now, 5, new Date("2025-01-01T00:00:00Z"))).length, 2 * 288 * 7);
  assert.equal(rt(backfill(ISOS, 2, now, 5, new Date("2025-03-10T18:00:00Z"))).length, 0);
});

Deno.test("simulator: backfill yields one zone-day per chunk, no interval twice, up to the current interval", () => {
  const now = new Date("2025-03-10T18:02:00Z"); // after PJM's DA results for 03-11 (13:30 EDT = 17:30Z)
  const seen = new Set<string>();
  let chunks = 0, rtCount = 0, lastRt = 0, firstRt = Infinity;
  const tomorrowDa = new Set<Iso>();
  for (const chunk of backfill(ISOS, 2, now, 5)) {
    chunks++;
    assert.ok(chunk.length > 0 && chunk.length <= 25 + 300, `chunk of ${chunk.length}`);
    assert.equal(new Set(chunk.map((t) => t.zone)).size, 1);
    for (const t of chunk) {
      const key = `${t.zone}|${t.market}|${t.interval_start}`;
      assert.ok(!seen.has(key), `duplicate ${key}`);
      seen.add(key);
      if (t.market === "RT") {
        rtCount++;
        lastRt = Math.max(lastRt, Date.parse(t.interval_start));
        firstRt = Math.min(firstRt, Date.parse(t.interval_start));
      } else if (t.interval_start >= "2025-03-11T04:00:00.000Z" && t.zone !== "CAISO") tomorrowDa.add(t.zone);
    }
  }
  // 2 days × 288 intervals × 7 zones, ending with the interval before the one containing `now`.
  assert.equal(rtCount, 2 * 288 * 7);
  assert.equal(lastRt, Date.parse("2025-03-10T17:55:00Z"));
  assert.equal(firstRt, Date.parse("2025-03-08T18:00:00Z"));
  // Results for 03-11 are out at 18:02Z everywhere east of the Rockies (CAISO's 13:00 PDT is 20:00Z).
  assert.ok(tomorrowDa.has("PJM") && tomorrowDa.has("NYISO") && tomorrowDa.has("SPP"));
  assert.ok(![...seen].some((k) => k.startsWith("CAISO|DA|2025-03-11T07")));
  assert.ok(chunks >= 7 * 3);
  // Lazy: asking for one chunk computes one chunk.
  const gen = backfill(ISOS, 365, now, 5);
  assert.equal(gen.next().value!.length > 0, true);
  gen.return(undefined);
  assert.deepEqual([...backfill(ISOS, 0, now, 5)], []);
});

/**
 * Every zone, computed once for the cap and sanity tests below: a year of DA, and RT over March–June
 * 2025 (spring solar and wind surpluses, then early-summer scarcity), with a seed and window in which
 * prices do reach the caps and floors, so the clamp is seen working, not merely never needed.
 */
const sample = (() => {
  const cache = new Map<Iso, { da: number[]; rt: number[] }>();
  return (zone: Iso) => {
    let y = cache.get(zone);
    if (!y) {
      const da: number[] = [];
      for (let d = "2024-07-01"; d < "2025-07-01"; d = addDays(d, 1)) {
        for (const t of simulateDayAhead(zone, d, 2)) da.push(t.lmp);
      }
      const rt = simulateRealTime(zone, new Date("2025-03-01T00:00:00Z"), new Date("2025-07-01T00:00:00Z"), 2)
        .map((t) => t.lmp);
      y = { da, rt };
      cache.set(zone, y);
    }
    return y;
  };
})();

Deno.test("simulator: prices stay within each zone's offer floor and cost-verified cap, and reach them", () => {
  const extremes = new Map<Iso, { min: number; max: number }>();
  for (const zone of ISOS) {
    const { da, rt } = sample(zone);
    const { offerFloor, costBasedOfferCap } = ZONES[zone];
    let min = Infinity, max = -Infinity;
    for (const xs of [da, rt]) {
      for (const x of xs) {
        if (x < min) min = x;
        if (x > max) max = x;
      }
    }
    assert.ok(min >= offerFloor && max <= costBasedOfferCap, `${zone}: ${min}..${max}`);
    extremes.set(zone, { min, max });
  }
  // Scarcity reaches ERCOT's $5,000 and PJM's $2,000; surplus reaches CAISO's −$150 and SPP's −$500.
  assert.equal(extremes.get("ERCOT")!.max, 5000);
  assert.equal(extremes.get("PJM")!.max, 2000);
  assert.equal(extremes.get("CAISO")!.min, -150);
  assert.equal(extremes.get("SPP")!.min, -500);
});

Deno.test("simulator: zone levels are sane; negative prices common only in CAISO, ERCOT and SPP", () => {
  const rows: string[] = [];
  for (const zone of ISOS) {
    const { da, rt } = sample(zone);
    const d = stats(da), r = stats(rt);
    rows.push(
      `${zone.padEnd(6)} DA mean ${d.mean.toFixed(1)} sd ${d.sd.toFixed(1)} neg ${(100 * d.negShare).toFixed(2)}%` +
        ` | RT(5′) mean ${r.mean.toFixed(1)} sd ${r.sd.toFixed(1)} neg ${(100 * r.negShare).toFixed(2)}%`,
    );
    // Annual means of US hubs in recent years: roughly $20–70/MWh.
    assert.ok(d.mean > 15 && d.mean < 80, `${zone} DA mean ${d.mean}`);
    assert.ok(r.mean > 15 && r.mean < 80, `${zone} RT mean ${r.mean}`);
    if (ZONES[zone].negativePricesCommon) {
      assert.ok(d.negShare > 0.01 && d.negShare < 0.3, `${zone} DA negatives ${d.negShare}`);
      assert.ok(r.negShare > 0.01 && r.negShare < 0.3, `${zone} RT negatives ${r.negShare}`);
    } else {
      assert.ok(d.negShare < 0.01, `${zone} DA negatives ${d.negShare}`);
      assert.ok(r.negShare < 0.01, `${zone} RT negatives ${r.negShare}`);
    }
    // RT is more volatile than DA.
    assert.ok(r.sd > d.sd, zone);
  }
  console.log(`seed 2 — DA 2024-07-01..2025-06-30, RT 2025-03-01..2025-06-30:\n${rows.join("\n")}`);
});

/** Real PJM hub prices from a Data Miner export, all hubs pooled (as the data README reports them). */
function readPjm(file: string, column: string): number[] {
  const rows = parse(Deno.readTextFileSync(file), { columns: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  return rows.filter((r) => r.row_is_current !== "False").map((r) => Number(r[column]));
}

serviceTest(
  "simulator: PJM statistics match PJM's May–July 2025 hub prices within stated bands",
  ["shared-data"],
  () => {
    const dir = testServices.sharedData!;
    const realDa = stats(readPjm(`${dir}/pjm_da_hrl_lmps_2025-05_2025-07.csv`, "total_lmp_da"));
    const realRt = stats(readPjm(`${dir}/pjm_rt_hrl_lmps_2025-05_2025-07.csv`, "total_lmp_rt"));
    assert.equal(realDa.n, 26_508);

    // The same three months, for several seeds: one summer is one draw of the weather (2025's had two
    // severe heat waves), so the model is judged on the median over seeds, not on one lucky seed.
    const seeds = [1, 2, 3, 4, 5, 6, 7];
    const sims = seeds.map((seed) => {
      const { da, rt } = simulateHourly("PJM", "2025-05-01", "2025-08-01", seed);
      return { seed, da: stats(da), rt: stats(rt) };
    });
    const fmt = (s: Stats) =>
      `mean ${s.mean.toFixed(2)} sd ${s.sd.toFixed(2)} neg ${(100 * s.negShare).toFixed(2)}% spikes ${
        (100 * s.spikeShare).toFixed(2)
      }%`;
    const lines = [
      `real DA: ${fmt(realDa)}`,
      `real RT: ${fmt(realRt)}`,
      ...sims.map((s) => `seed ${s.seed}: DA ${fmt(s.da)} | RT(hourly avg) ${fmt(s.rt)}`),
    ];

    for (const market of ["da", "rt"] as const) {
      const real = market === "da" ? realDa : realRt;
      const med = (k: keyof Stats) => median(sims.map((s) => s[market][k]));
      const sim = { mean: med("mean"), sd: med("sd"), negShare: med("negShare"), spikeShare: med("spikeShare") };
      lines.push(`median ${market.toUpperCase()}: ${fmt({ n: 0, ...sim })}`);
      // Bands, from the real figures of this run:
      //   mean within ±20%; sd within ±40%; share of negative hours within ±1 percentage point;
      //   spike rate (hours > 3× mean) between 0.4× and 2.5× the real one.
      const within = (x: number, lo: number, hi: number, what: string) =>
        assert.ok(x >= lo && x <= hi, `${market} ${what}: ${x.toFixed(4)} not in [${lo.toFixed(4)}, ${hi.toFixed(4)}]`);
      within(sim.mean, real.mean * 0.8, real.mean * 1.2, "mean");
      within(sim.sd, real.sd * 0.6, real.sd * 1.4, "sd");
      within(sim.negShare, Math.max(0, real.negShare - 0.01), real.negShare + 0.01, "negative share");
      within(sim.spikeShare, real.spikeShare * 0.4, real.spikeShare * 2.5, "spike rate");
    }
    console.log(lines.join("\n"));
  },
);
