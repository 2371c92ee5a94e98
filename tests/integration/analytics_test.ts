/**
 * Analytics on Postgres against hand-computed values on small fixed data; spike detection on planted spikes
 * (found) and on calm data (none); portfolio analytics scoped to the caller's organization; the API's
 * 400s and who may call it.
 */
import assert from "node:assert/strict";
import { marketPanels } from "../../services/analytics/market.ts";
import { postgresEngine } from "../../services/analytics/postgres.ts";
import { percentileOf, SPIKE } from "../../services/analytics/stats.ts";
import { writeTicks } from "../../services/market/store.ts";
import type { PriceTick } from "../../services/market/types.ts";
import type { Iso } from "../../services/market/zones.ts";
import { call, createOrg, expectStatus, opts, orgWithAllRoles } from "../helpers/auth.ts";
import { battery, siteWithAsset } from "../helpers/bids.ts";
import { testDatabase } from "../helpers/database.ts";
import type { Database, Transaction } from "../../db/database.ts";
import { testApp } from "../helpers/test_app.ts";
import { freshPostgresUrl, serviceTest } from "../helpers/services.ts";
import { openPostgres } from "../../services/adapters/postgres.ts";

const M5 = 300_000, H = 3_600_000;

function tick(zone: Iso, market: "DA" | "RT", start: number, lmp: number): PriceTick {
  const end = start + (market === "DA" ? H : M5);
  return {
    zone,
    market,
    interval_start: new Date(start).toISOString(),
    interval_end: new Date(end).toISOString(),
    lmp,
    energy: lmp,
    congestion: 0,
    loss: 0,
  };
}

/** The panels of PJM RT for the hour from `t0`, on Postgres. */
const pjmHour = (db: Database, t0: number) =>
  marketPanels(postgresEngine(() => db), {
    zones: ["PJM"],
    market: "RT",
    from: new Date(t0),
    to: new Date(t0 + H),
    threshold: 6,
  });

const close = (a: number | null, b: number, what: string) =>
  assert.ok(a !== null && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

Deno.test("analytics: every statistic of eight RT intervals and one DA hour, by hand", opts, async () => {
  const db = await testDatabase("anstats");
  try {
    // Monday 2025-06-02 00:00 EDT = 04:00 UTC.
    const t0 = Date.parse("2025-06-02T04:00:00Z");
    const rt = [10, -5, 30, 20, 0, 40, 15, 25];
    await writeTicks(db, [...rt.map((v, i) => tick("PJM", "RT", t0 + i * M5, v)), tick("PJM", "DA", t0, 20)], "t");
    const r = await pjmHour(db, t0);
    const s = r.stats;
    assert.equal(s.count, 8);
    close(s.mean, 135 / 8, "mean");
    // Sorted: -5 0 10 15 20 25 30 40; nearest rank ⌈p·8/100⌉.
    assert.deepEqual(s.percentiles, { p5: -5, p25: 0, p50: 15, p75: 25, p95: 40, p99: 40 });
    assert.equal(s.median, 15);
    close(s.stddev, Math.sqrt(1596.875 / 8), "population sd");
    assert.equal(s.min, -5);
    assert.equal(s.min_at, new Date(t0 + M5).toISOString());
    assert.equal(s.max, 40);
    assert.equal(s.max_at, new Date(t0 + 5 * M5).toISOString());
    assert.equal(s.negative_share, 1 / 8);
    assert.equal(s.spikes, 0);
    assert.deepEqual(r.heatmap, [{ dow: 1, hour: 0, mean: 135 / 8, count: 8 }]);
    assert.equal(r.duration.length, 101);
    assert.deepEqual(r.duration[0], { share: 0, price: 40 });
    assert.deepEqual(r.duration[100], { share: 1, price: -5 });
    assert.deepEqual(r.duration[50], { share: 0.5, price: 15 });
    // An hour's range is drawn per 5 minutes: one point per interval.
    assert.equal(r.series.bucket_seconds, 300);
    assert.deepEqual(
      r.series.items,
      rt.map((v, i) => ({ t: new Date(t0 + i * M5).toISOString(), mean: v, min: v, max: v })),
    );
    // Spread: DA 20 minus the hour's RT mean 16.875.
    assert.deepEqual(r.spread.by_hour, [{ hour: 0, mean: 3.125, count: 1 }]);
    assert.deepEqual(r.spread.daily, [{ date: "2025-06-02", hours: 1, spread: 3.125, inc: 3.125, dec: -3.125 }]);
    assert.equal(r.spread.distribution.count, 1);
    assert.equal(r.spread.distribution.median, 3.125);
    // Returns are of the hourly mean: one hour has none.
    assert.deepEqual(r.volatility.items, [{ date: "2025-06-02", n: 0, std: null }]);
    assert.deepEqual(r.correlation.matrix, [[1]]);
  } finally {
    await db.close();
  }
});

serviceTest("analytics on Postgres: the panels' statements are not left prepared on the connection", [
  "postgres",
], async () => {
  // One connection: what the panels ran is what pg_prepared_statements of this session shows.
  const db = await openPostgres(await freshPostgresUrl("anprep", { migrated: true }), { max: 1 });
  try {
    const t0 = Date.parse("2025-06-02T04:00:00Z");
    await writeTicks(db, [0, 1, 2].map((i) => tick("PJM", "RT", t0 + i * M5, 10 + i)), "t");
    const r = await pjmHour(db, t0);
    assert.equal(r.stats.count, 3);
    const prepared = await db.query<{ statement: string }>(
      `SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%' || $1 || '%'`,
      ["market_prices"],
    );
    // The store's own write (writeTicks) may be prepared; no analytics text (they read the hourly rollup or
    // bucket by the zone's time zone) is.
    const analytics = prepared.filter((p) => /market_prices_hourly|AT TIME ZONE/.test(p.statement));
    assert.deepEqual(analytics, [], `${analytics.length} analytics statements prepared`);
  } finally {
    await db.close();
  }
});

Deno.test("analytics: volatility of hourly RT returns, by hand", opts, async () => {
  const db = await testDatabase("anvol");
  try {
    const t0 = Date.parse("2025-06-02T04:00:00Z");
    // Hourly means 10, 25, 5, 45 → returns 15, −20, 40.
    await writeTicks(db, [
      tick("PJM", "RT", t0, 10),
      tick("PJM", "RT", t0 + M5, 10),
      tick("PJM", "RT", t0 + H, 20),
      tick("PJM", "RT", t0 + H + M5, 30),
      tick("PJM", "RT", t0 + 2 * H, 5),
      tick("PJM", "RT", t0 + 3 * H + 10 * M5, 45),
    ], "t");
    const r = await marketPanels(postgresEngine(() => db), {
      zones: ["PJM"],
      market: "RT",
      from: new Date(t0),
      to: new Date(t0 + 4 * H),
      threshold: 6,
    });
    assert.equal(r.volatility.items.length, 1);
    assert.equal(r.volatility.items[0].n, 3);
    close(r.volatility.items[0].std, Math.sqrt(2225 / 3 - (35 / 3) ** 2), "volatility");
  } finally {
    await db.close();
  }
});

Deno.test("analytics: correlation of two zones' hourly prices, by hand", opts, async () => {
  const db = await testDatabase("ancorr");
  try {
    const t0 = Date.parse("2025-06-02T04:00:00Z");
    const a = [1, 2, 3, 4], b = [2, 4, 6, 9];
    await writeTicks(db, [
      ...a.map((v, i) => tick("PJM", "DA", t0 + i * H, v)),
      ...b.map((v, i) => tick("NYISO", "DA", t0 + i * H, v)),
    ], "t");
    const r = await marketPanels(postgresEngine(() => db), {
      zones: ["PJM", "NYISO"],
      market: "DA",
      from: new Date(t0),
      to: new Date(t0 + 4 * H),
      threshold: 6,
    });
    // Pearson: cov = Σ(a−2.5)(b−5.25) / 4, sd's population.
    const ma = 2.5, mb = 5.25;
    const cov = a.reduce((s, x, i) => s + (x - ma) * (b[i] - mb), 0);
    const va = a.reduce((s, x) => s + (x - ma) ** 2, 0), vb = b.reduce((s, x) => s + (x - mb) ** 2, 0);
    close(r.correlation.matrix[0][1], cov / Math.sqrt(va * vb), "corr");
    assert.deepEqual(r.correlation.n, [[0, 4], [4, 0]]);
  } finally {
    await db.close();
  }
});

Deno.test("analytics: planted spikes are found with their baseline; calm data has none", opts, async () => {
  const db = await testDatabase("anspikes");
  try {
    const t0 = Date.parse("2025-05-05T00:00:00Z");
    const weeks = 5;
    // Calm: 30–32 $/MWh every 5 minutes for five weeks.
    const calm = Array.from({ length: weeks * 7 * 288 }, (_, i) => tick("PJM", "RT", t0 + i * M5, 30 + (i % 3)));
    await writeTicks(db, calm, "t");
    const pg = postgresEngine(() => db);
    const lastWeek = { zones: ["PJM" as Iso], market: "RT" as const, threshold: 6 };
    const range = { from: new Date(t0 + 4 * 7 * 24 * H), to: new Date(t0 + weeks * 7 * 24 * H) };
    const quiet = await marketPanels(pg, { ...lastWeek, ...range });
    assert.equal(quiet.spikes.count, 0, "calm data: no spike");
    assert.equal(quiet.stats.spikes, 0);

    const up = range.from.getTime() + 50 * H + 3 * M5, down = range.from.getTime() + 100 * H + 7 * M5;
    await writeTicks(db, [tick("PJM", "RT", up, 900), tick("PJM", "RT", down, -150)], "t");
    const r = await marketPanels(pg, { ...lastWeek, ...range });
    assert.equal(r.spikes.count, 2);
    const [a, b] = r.spikes.items;
    // Baseline: the median hourly mean of the four weeks before is 31; MAD 0, so the floor (5) scales.
    assert.deepEqual({ ...a, score: Math.round(a.score * 100) / 100 }, {
      t: new Date(up).toISOString(),
      price: 900,
      baseline: 31,
      score: (900 - 31) / 5,
    });
    assert.equal(b.t, new Date(down).toISOString());
    assert.equal(b.score, (-150 - 31) / 5);
    // A threshold between the two scores (173.8 and −36.2) lists the larger one only.
    assert.equal((await marketPanels(pg, { ...lastWeek, ...range, threshold: 50 })).spikes.count, 1);
  } finally {
    await db.close();
  }
});

Deno.test("the hourly rollup follows inserts, revisions, deletes and truncation of market_prices", opts, async () => {
  const db = await testDatabase("anrollup");
  try {
    const t0 = Date.parse("2025-06-02T04:00:00Z");
    const agg = `SELECT zone, market, hour, n, lmp_sum::float8 AS s, lmp_min::float8 AS lo, lmp_max::float8 AS hi
                   FROM market_prices_hourly ORDER BY 1, 2, 3`;
    const raw = `SELECT zone, market, date_bin('1 hour', interval_start, timestamptz '1970-01-01Z') AS hour,
                        count(*)::int AS n, sum(lmp)::float8 AS s, min(lmp)::float8 AS lo, max(lmp)::float8 AS hi
                   FROM market_prices GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
    await writeTicks(db, Array.from({ length: 30 }, (_, i) => tick("PJM", "RT", t0 + i * M5, i)), "t");
    await writeTicks(db, [tick("PJM", "DA", t0, 50), tick("MISO", "RT", t0, 7)], "t");
    assert.deepEqual(await db.query(agg), await db.query(raw));
    assert.equal((await db.query(agg)).length, 5);
    await writeTicks(db, [tick("PJM", "RT", t0 + 5 * M5, 1_000)], "t"); // a revision
    assert.deepEqual(await db.query(agg), await db.query(raw));
    await db.query(`DELETE FROM market_prices WHERE zone = 'PJM' AND market = 'RT' AND interval_start >= $1`, [
      new Date(t0 + 2 * H),
    ]);
    assert.deepEqual(await db.query(agg), await db.query(raw));
    assert.equal((await db.query(agg)).length, 4, "an emptied hour leaves the rollup");
    await db.exec("TRUNCATE market_prices");
    assert.deepEqual(await db.query(agg), []);
  } finally {
    await db.close();
  }
});

const W = 168 * H;

/**
 * Each RT hour's baseline as stats.ts defines it, from the rollup: median and MAD (nearest rank) of the same
 * hour's means 1 … 4 weeks before, where at least two exist.
 */
async function baselinesFromRollup(db: Database) {
  const hours = await db.query<{ zone: string; hour: Date; v: number; lo: number; hi: number }>(
    `SELECT zone, hour, lmp_sum::float8 / n AS v, lmp_min::float8 AS lo, lmp_max::float8 AS hi
       FROM market_prices_hourly WHERE market = 'RT' ORDER BY zone, hour`,
  );
  const mean = new Map(hours.map((h) => [`${h.zone} ${h.hour.getTime()}`, h.v]));
  return hours.flatMap((h) => {
    const vals = [1, 2, 3, 4].map((k) => mean.get(`${h.zone} ${h.hour.getTime() - k * W}`))
      .filter((v): v is number => v !== undefined).sort((a, b) => a - b);
    if (vals.length < SPIKE.minBaseline) return [];
    const baseline = percentileOf(vals, 50)!;
    const mad = percentileOf(vals.map((v) => Math.abs(v - baseline)).sort((a, b) => a - b), 50)!;
    return [{ zone: h.zone, t: h.hour.getTime(), baseline, mad, lo: h.lo, hi: h.hi }];
  });
}

/** market_spike_baselines as `baselinesFromRollup` spells them. */
async function keptBaselines(db: Database) {
  return (await db.query<{ zone: string; hour: Date; baseline: number; mad: number; lo: number; hi: number }>(
    `SELECT zone, hour, baseline, mad, lo, hi FROM market_spike_baselines ORDER BY zone, hour`,
  )).map(({ hour, ...r }) => ({
    zone: r.zone,
    t: hour.getTime(),
    baseline: r.baseline,
    mad: r.mad,
    lo: r.lo,
    hi: r.hi,
  }));
}

Deno.test("the spike baselines follow the hourly rollup: inserts, revisions, deletes, truncation", opts, async () => {
  const db = await testDatabase("anbase");
  const t0 = Date.parse("2025-06-02T04:00:00Z");
  const expected = () => baselinesFromRollup(db);
  const kept = () => keptBaselines(db);
  try {
    // Two intervals in the same hour of five weeks (week 2 only one), another hour, another zone, a DA price.
    for (let w = 0; w < 5; w++) {
      const ticks = [tick("PJM", "RT", t0 + w * W, 20 + 3 * w * w), tick("PJM", "RT", t0 + w * W + H, 40 - w)];
      if (w !== 2) ticks.push(tick("PJM", "RT", t0 + w * W + M5, 25 + w));
      await writeTicks(db, ticks, "t");
    }
    await writeTicks(db, [tick("MISO", "RT", t0, 7), tick("PJM", "DA", t0 + 4 * W, 50)], "t");
    const first = await expected();
    assert.equal(first.length, 6, "weeks 2, 3 and 4 of both PJM hours have two or more lagged weeks");
    assert.deepEqual(await kept(), first);
    // A revision of week 1 moves the baselines of weeks 2, 3 and 4 (their lags), not its own.
    await writeTicks(db, [tick("PJM", "RT", t0 + W, 500)], "t");
    const revised = await expected();
    assert.notDeepEqual(revised, first);
    assert.deepEqual(await kept(), revised);
    // Week 0 of the first hour deleted: week 2 of it loses a lag (two left), so does week 3 and 4.
    await db.query(`DELETE FROM market_prices WHERE zone = 'PJM' AND interval_start >= $1 AND interval_start < $2`, [
      new Date(t0),
      new Date(t0 + H),
    ]);
    assert.deepEqual(await kept(), await expected());
    await db.exec("TRUNCATE market_prices");
    assert.deepEqual(await kept(), []);
  } finally {
    await db.close();
  }
});

/**
 * Runs `write` in a transaction and says how often each refresh of the spike baselines ran in it
 * (`track_functions`: the per-hour `market_spike_baselines_refresh`, the per-zone `…_refresh_ranges`).
 */
async function refreshesIn(db: Database, write: (tx: Transaction) => Promise<unknown>) {
  return await db.transaction(async (tx) => {
    await tx.query("SET LOCAL track_functions = 'pl'");
    // Counts before and after: the view may still hold an earlier transaction's calls, not yet flushed.
    const calls = async () => {
      const rows = await tx.query<{ funcname: string; calls: string | number }>(
        `SELECT funcname, calls FROM pg_stat_xact_user_functions
          WHERE funcname LIKE 'market_spike_baselines_refresh%'`,
      );
      const of = (name: string) => Number(rows.find((r) => r.funcname === name)?.calls ?? 0);
      return { perHour: of("market_spike_baselines_refresh"), ranges: of("market_spike_baselines_refresh_ranges") };
    };
    const before = await calls();
    await write(tx);
    const after = await calls();
    return { perHour: after.perHour - before.perHour, ranges: after.ranges - before.ranges };
  });
}

Deno.test(
  "a bulk write refreshes the spike baselines by range, per zone: gaps, revisions, filled gaps, stale rows",
  opts,
  async () => {
    const db = await testDatabase("anbaserange");
    const t0 = Date.parse("2025-06-02T04:00:00Z");
    // Deterministic prices with missing hours (a lag of some hours is absent, so some have fewer than two).
    const price = (i: number, v: number) => 20 + ((i * 7919 + v * 104_729) % 997) / 10;
    const hours = (zone: Iso, weeks: number, v: number, keep: (h: number) => boolean) =>
      Array.from({ length: weeks * 168 }, (_, h) => h).filter(keep).flatMap((h) => [
        tick(zone, "RT", t0 + h * H, price(h, v)),
        tick(zone, "RT", t0 + h * H + M5, price(h + 1, v)),
      ]);
    const gap = (h: number) => h % 37 !== 5 && !(h >= 200 && h < 224);
    try {
      // Two zones of many hours in one statement: both by range.
      const first = await refreshesIn(
        db,
        (tx) => writeTicks(tx, [...hours("PJM", 6, 1, gap), ...hours("MISO", 5, 2, (h) => h % 3 !== 0)], "t"),
      );
      assert.deepEqual(first, { perHour: 0, ranges: 1 }, "the ranges of both zones in one call, no hour one by one");
      const written = await baselinesFromRollup(db);
      assert.ok(written.length > 900, `${written.length} baselines`);
      assert.deepEqual(await keptBaselines(db), written);

      // Weeks 1 and 2 of PJM revised in one call (an upsert: the rollup's UPDATE trigger), by range.
      assert.deepEqual(
        await refreshesIn(db, (tx) => writeTicks(tx, hours("PJM", 3, 3, (h) => gap(h) && h >= 168), "t")),
        { perHour: 0, ranges: 1 },
      );
      const revised = await baselinesFromRollup(db);
      assert.notDeepEqual(revised, written);
      assert.deepEqual(await keptBaselines(db), revised);

      // PJM's missing hours filled (a few a week: hour by hour) and a week of new MISO hours (by range), in one
      // statement: each zone its own way.
      const mixed = await refreshesIn(
        db,
        (tx) =>
          writeTicks(tx, [...hours("PJM", 6, 4, (h) => !gap(h)), ...hours("MISO", 6, 5, (h) => h >= 5 * 168)], "t"),
      );
      assert.deepEqual(mixed, { perHour: 1, ranges: 1 });
      const filled = await baselinesFromRollup(db);
      assert.ok(filled.length > revised.length);
      assert.deepEqual(await keptBaselines(db), filled);

      // Called directly over the whole span: values gone stale are written again, a baseline kept for an hour with
      // too few lagged weeks goes, missing ones come back.
      await db.query(`DELETE FROM market_spike_baselines WHERE zone = 'MISO'`);
      await db.query(`UPDATE market_spike_baselines SET baseline = baseline + 1 WHERE zone = 'PJM' AND hour < $1`, [
        new Date(t0 + 3 * W),
      ]);
      await db.query(`INSERT INTO market_spike_baselines VALUES ('PJM', $1, 1, 1, 1, 1)`, [new Date(t0 + 2 * H)]);
      await db.query(
        `SELECT market_spike_baselines_refresh_ranges(array_agg(zone), array_agg(lo), array_agg(hi))
         FROM (SELECT zone, min(hour) AS lo, max(hour) AS hi FROM market_prices_hourly GROUP BY zone) z`,
      );
      assert.deepEqual(await keptBaselines(db), filled);
    } finally {
      await db.close();
    }
  },
);

Deno.test("portfolio analytics: each organization sees only its own bids", opts, async () => {
  const t = await testApp();
  const db = t.services.db();
  const a = await createOrg(t, "an-port-a"), b = await createOrg(t, "an-port-b");
  const day = Date.parse("2025-06-02T04:00:00Z");
  async function settled(org: typeof a, revenues: number[]) {
    const { assetId } = await siteWithAsset(t, org.admin.tokens.access_token, battery(`Bat ${org.name}`));
    for (const [i, rev] of revenues.entries()) {
      const start = day + i * 24 * H;
      await db.query(
        `INSERT INTO bids (org_id, asset_id, zone, market, interval_start, interval_end, side, segments, status,
                           awarded_mw, clearing_price, da_revenue, rt_revenue, revenue)
         VALUES ($1, $2, 'PJM', 'DA', $3, $4, 'offer', '[]', 'settled', 10, $5, $6, 1, $7)`,
        [org.id, assetId, new Date(start), new Date(start + H), rev / 10, rev - 1, rev],
      );
    }
    return assetId;
  }
  const aAsset = await settled(a, [100, 300, -50]);
  await settled(b, [7_000]);
  await writeTicks(db, [tick("PJM", "DA", day, 40), tick("PJM", "DA", day + H, 60)], "t");

  const q = `/api/analytics/portfolio?from=2025-06-01T00:00:00Z&to=2025-06-10T00:00:00Z`;
  const r = await call(t, "GET", q, { token: a.admin.tokens.access_token });
  expectStatus(r, 200);
  assert.equal(r.body.totals.revenue, 350);
  assert.equal(r.body.totals.bids, 3);
  assert.deepEqual(r.body.by_asset.map((x: { key: string }) => x.key), [aAsset]);
  assert.deepEqual(r.body.best_days.map((d: { revenue: number }) => d.revenue), [300, 100, -50]);
  assert.equal(r.body.worst_days[0].revenue, -50);
  assert.deepEqual(r.body.capture, [{ zone: "PJM", offered_mwh: 30, revenue: 350, capture_price: 350 / 30, twap: 50 }]);
  assert.deepEqual(r.body.clearing, { submitted: 3, cleared: 3, clear_rate: 1, cleared_mwh: 30 });
  assert.equal(r.body.batteries[0].cycles, 30 / 200);
  close(r.body.batteries[0].revenue_per_cycle, 350 / (30 / 200), "revenue per cycle");
  const other = await call(t, "GET", q, { token: b.admin.tokens.access_token });
  assert.equal(other.body.totals.revenue, 7_000);
  assert.ok(!JSON.stringify(other.body).includes(aAsset), "no trace of the other organization");
});

Deno.test("analytics API: analysts and above; bad input is a 400 naming the field", opts, async () => {
  const t = await testApp();
  const { members } = await orgWithAllRoles(t, "an-api");
  for (const role of ["admin", "trader", "analyst"] as const) {
    const r = await call(t, "GET", "/api/analytics/market?zones=PJM&market=DA", {
      token: members[role].tokens.access_token,
    });
    expectStatus(r, 200, role);
    assert.equal(r.body.engine, "postgres");
  }
  for (const path of ["/api/analytics/market", "/api/analytics/portfolio"]) {
    expectStatus(await call(t, "GET", path, { token: members.viewer.tokens.access_token }), 403, "viewer");
  }
  const token = members.analyst.tokens.access_token;
  for (
    const [q, field] of [
      ["zones=MOON", "zones"],
      // A list of nothing but separators names no zone: a 400, not a panel about `undefined`.
      ["zones=,,,", "zones"],
      ["market=XX", "market"],
      ["threshold=1", "threshold"],
      ["from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", "to"],
      ["bogus=1", ""],
    ] as const
  ) {
    const r = await call(t, "GET", `/api/analytics/market?${q}`, { token });
    expectStatus(r, 400, q);
    assert.ok(r.body.error?.code, q);
    if (field) assert.match(JSON.stringify(r.body.error), new RegExp(field), q);
  }
  const page = await call(t, "GET", "/analytics", { token: members.viewer.tokens.access_token });
  assert.equal(page.status, 403);
});
