/**
 * Two engines, one answer: every market panel on Postgres and on ClickHouse (its copy fed by the relay,
 * with the hourly rollup) over the same simulated prices — counts exact, values within 1e-6 relative,
 * percentiles by the same nearest-rank definition — for RT, DA and the DA–RT spread, with a planted spike
 * and a revised row. Then the per-request fallback: with ClickHouse failing, Postgres answers.
 */
import assert from "node:assert/strict";
import { type ClickHouseClient, createClient } from "@clickhouse/client-web";
import { setLogSink } from "../../services/log/logger.ts";
import {
  CH_BASELINES,
  CH_HOURLY,
  CH_TABLE,
  ensureClickhouseTable,
  insertClickhouse,
  syncToClickhouse,
} from "../../services/market/clickhouse_store.ts";
import { readRanges } from "../../services/analytics/clickhouse_parts.ts";
import { dayAheadHistory, simulateRealTime } from "../../services/market/simulator.ts";
import { writeTicks } from "../../services/market/store.ts";
import type { Iso } from "../../services/market/zones.ts";
import { clickhouseEngine } from "../../services/analytics/clickhouse.ts";
import { postgresEngine } from "../../services/analytics/postgres.ts";
import { marketAnalytics, marketPanels } from "../../services/analytics/market.ts";
import type { MarketEngine } from "../../services/analytics/engine.ts";
import { percentileOf } from "../../services/analytics/stats.ts";
import { freshClickhouseUrl, serviceTest } from "../helpers/services.ts";
import { testDatabase } from "../helpers/database.ts";

const ZONES: Iso[] = ["PJM", "CAISO", "ERCOT"];
const FROM = new Date("2025-02-08T00:00:00Z");
const TO = new Date("2025-03-15T00:00:00Z"); // spans the US DST change

/** Same structure; numbers within 1e-6 relative (absolute near zero); everything else exact. */
function assertSame(a: unknown, b: unknown, path = "$"): void {
  if (typeof a === "number" && typeof b === "number") {
    const tol = 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
    assert.ok(Math.abs(a - b) <= tol, `${path}: ${a} vs ${b}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${path}: length`);
    a.forEach((x, i) => assertSame(x, b[i], `${path}[${i}]`));
    return;
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${path}: keys`);
    for (const k of Object.keys(a)) {
      assertSame((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    }
    return;
  }
  assert.equal(a, b, path);
}

serviceTest("analytics: Postgres and ClickHouse answer every market panel the same", ["clickhouse"], async () => {
  const restore = setLogSink(() => {});
  const db = await testDatabase("anparity");
  const client = createClient({ url: await freshClickhouseUrl("anparity") });
  try {
    for (const zone of ZONES) {
      await writeTicks(db, simulateRealTime(zone, FROM, TO, 7), "sim");
    }
    for (const { ticks } of dayAheadHistory(ZONES, "2025-02-07", "2025-03-15", 7)) await writeTicks(db, ticks, "sim");
    // A planted spike, and a revision of a row already copied (the rollup must count the new value once).
    const spikeAt = "2025-03-12T15:05:00.000Z";
    const [spike] = simulateRealTime("PJM", new Date(spikeAt), new Date(Date.parse(spikeAt) + 1), 7);
    await ensureClickhouseTable(client);
    await syncToClickhouse(db, client, 1_000);
    await writeTicks(db, [{ ...spike, lmp: 2_500 }], "sim");
    await syncToClickhouse(db, client, 1_000);
    // A revised hour a week before one in range: the relay must recompute the later hour's spike baseline too.
    const revisedHour = "2025-03-03T15:00:00.000Z", laterHour = "2025-03-10T15:00:00.000Z";
    const hourTicks = simulateRealTime("PJM", new Date(revisedHour), new Date(Date.parse(revisedHour) + 3_600_000), 7);
    await writeTicks(db, hourTicks.map((t) => ({ ...t, lmp: 400 })), "sim");
    await syncToClickhouse(db, client, 1_000);
    const lagged = await db.query<{ v: number }>(
      `SELECT lmp_sum::float8 / n AS v FROM market_prices_hourly
        WHERE zone = 'PJM' AND market = 'RT' AND hour IN (SELECT $1::timestamptz - k * interval '168 hours'
                                                            FROM generate_series(1, 4) k)`,
      [laterHour],
    );
    const vals = lagged.map((r) => r.v).sort((a, b) => a - b);
    assert.ok(vals.includes(400), "the revised hour is a value of the later hour's baseline");
    const median = percentileOf(vals, 50)!;
    const mad = percentileOf(vals.map((v) => Math.abs(v - median)).sort((a, b) => a - b), 50)!;
    const rs = await client.query({
      query: `SELECT baseline, mad FROM ${CH_BASELINES} FINAL WHERE zone = 'PJM' AND hour = toDateTime('${
        laterHour.slice(0, 19).replace("T", " ")
      }', 'UTC')`,
      format: "JSONEachRow",
    });
    assertSame(await rs.json(), [{ baseline: median, mad }], "ClickHouse baseline of the later hour");

    const pg = postgresEngine(() => db), ch = clickhouseEngine(client);
    for (const market of ["RT", "DA", "SPREAD"] as const) {
      const r = { zones: ZONES, market, from: new Date("2025-03-01T00:00:00Z"), to: TO, threshold: 6 };
      const [a, b] = [await marketPanels(pg, r), await marketPanels(ch, r)];
      assert.equal(a.engine, "postgres");
      assert.equal(b.engine, "clickhouse");
      assert.ok(a.stats.count > 0 && a.heatmap.length === 168, `${market}: data in range`);
      assertSame({ ...a, engine: "" }, { ...b, engine: "" }, market);
      if (market === "RT") {
        assert.ok(a.spikes.items.some((s) => s.t === spikeAt && s.price === 2_500), "the planted spike is found");
        assert.equal(a.stats.max, 2_500);
        assert.equal(a.stats.max_at, spikeAt);
      }
    }
    // The whole data: five weeks chart in hourly buckets, which ClickHouse takes with the heatmap and the
    // returns from one read of the rollup (the range above charts in 15-minute buckets, from the intervals).
    for (const market of ["RT", "DA"] as const) {
      const r = { zones: ["PJM" as Iso], market, from: FROM, to: TO, threshold: 6 };
      const [a, b] = [await marketPanels(pg, r), await marketPanels(ch, r)];
      assert.equal(a.series.bucket_seconds, 3_600);
      assertSame({ ...a, engine: "" }, { ...b, engine: "" }, `${market} hourly buckets`);
    }
    // A copy from before the baselines existed (or whose first fill failed) gets them on the next call, the same.
    await client.command({ query: `DROP TABLE ${CH_BASELINES}` });
    await ensureClickhouseTable(client);
    {
      const r = { zones: ["PJM" as Iso], market: "RT" as const, from: FROM, to: TO, threshold: 6 };
      assertSame((await marketPanels(pg, r)).spikes, (await marketPanels(ch, r)).spikes, "baselines filled afresh");
    }
    // A range not on whole hours is widened to them, on both engines alike.
    const odd = { zones: ["PJM" as Iso], market: "RT" as const, from: new Date("2025-03-03T10:17:00Z"), to: TO };
    assertSame(
      { ...await marketPanels(pg, { ...odd, threshold: 4 }), engine: "" },
      { ...await marketPanels(ch, { ...odd, threshold: 4 }), engine: "" },
    );

    // Few values (several percentiles share a rank: 12, 2 and 1 of them) and none at all.
    const small = [
      ["2025-03-05T10:00:00Z", "2025-03-05T11:00:00Z", { RT: 12, DA: 1, SPREAD: 1 }],
      ["2025-03-05T10:00:00Z", "2025-03-05T12:00:00Z", { RT: 24, DA: 2, SPREAD: 2 }],
      ["2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z", { RT: 0, DA: 0, SPREAD: 0 }],
    ] as const;
    for (const [from, to, counts] of small) {
      for (const market of ["RT", "DA", "SPREAD"] as const) {
        const q = { zone: "PJM" as Iso, market, from: new Date(from), to: new Date(to) };
        const [a, b] = [await pg.stats(q), await ch.stats(q)];
        assert.equal(a.count, counts[market], `${market} ${from}: count`);
        assert.equal(a.pct.length, a.count ? 101 : 0);
        assertSame(a, b, `${market} ${from}`);
      }
    }

    // Spikes from the first data on: baselines of two, three and four lagged weeks, a low threshold.
    for (const threshold of [2, 4]) {
      const zq = { zone: "PJM" as Iso, from: FROM, to: TO };
      const [a, b] = [await pg.spikes(zq, threshold), await ch.spikes(zq, threshold)];
      assert.ok(a.count > 0 && a.items.length > 0, `threshold ${threshold}: spikes found`);
      assertSame(a, b, `spikes ${threshold}`);
    }

    // Per request: ClickHouse failing means Postgres answers, and says so.
    const broken: MarketEngine = { ...ch, panels: () => Promise.reject(new Error("connection refused")) };
    const failures: unknown[] = [];
    const deps = {
      db: () => db,
      postgres: pg,
      clickhouse: () => broken,
      clickhouseFailed: (e: unknown) => failures.push(e),
    };
    const r = { zones: ["PJM" as Iso], market: "RT" as const, from: FROM, to: TO, threshold: 6 };
    assert.equal((await marketAnalytics(deps, r)).engine, "postgres");
    // …and the failure is reported (the app's health registry then takes ClickHouse as down until a check).
    assert.deepEqual(failures.map((e) => (e as Error).message), ["connection refused"]);
    assert.equal((await marketAnalytics({ ...deps, clickhouse: () => ch }, r)).engine, "clickhouse");
  } finally {
    await client.close();
    await db.close();
    restore();
  }
});

serviceTest("analytics: ClickHouse reads FINAL only where parts overlap, and again when parts change", [
  "clickhouse",
], async () => {
  const restore = setLogSink(() => {});
  const db = await testDatabase("anparts");
  const client = createClient({ url: await freshClickhouseUrl("anparts") });
  const panelsOf = (engine: MarketEngine, market: "RT" | "DA" | "SPREAD") =>
    marketPanels(engine, { zones: ["PJM"], market, from: FROM, to: TO, threshold: 6 });
  const same = async (ch: MarketEngine, label: string) => {
    const pg = postgresEngine(() => db);
    for (const market of ["RT", "DA", "SPREAD"] as const) {
      assertSame({ ...await panelsOf(pg, market), engine: "" }, { ...await panelsOf(ch, market), engine: "" }, label);
    }
  };
  try {
    await writeTicks(db, simulateRealTime("PJM", FROM, TO, 11), "sim");
    for (const { ticks } of dayAheadHistory(["PJM"], "2025-02-07", "2025-03-15", 11)) {
      await writeTicks(db, ticks, "sim");
    }
    await ensureClickhouseTable(client);
    await syncToClickhouse(db, client, 1_000);
    for (const table of [CH_TABLE, CH_HOURLY, CH_BASELINES]) {
      await client.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
    }
    // Merged: every part records its time span and none overlaps, so the panels read no table FINAL.
    const spans = async (table: string) => {
      const rs = await client.query({
        query: `SELECT toUInt32(min_time) AS min, toUInt32(max_time) AS max FROM system.parts
                 WHERE database = currentDatabase() AND active AND table = '${table}'`,
        format: "JSONEachRow",
      });
      return await rs.json<{ min: number; max: number }>();
    };
    const [from, to] = [FROM.getTime() / 1000, TO.getTime() / 1000];
    for (const table of [CH_TABLE, CH_HOURLY, CH_BASELINES]) {
      const parts = await spans(table);
      assert.ok(parts.length > 0 && parts.every((p) => p.min > 0), `${table}: parts record their span`);
      assert.deepEqual(readRanges(parts, from, to).map((r) => r.final), [false], `${table}: read plainly`);
    }
    const ch = clickhouseEngine(client);
    await same(ch, "merged");

    // A revised hour (RT and DA) copied by the relay: a new part over that hour, read FINAL there; the new
    // values count once.
    const hour = new Date("2025-03-04T17:00:00Z");
    const rt = simulateRealTime("PJM", hour, new Date(hour.getTime() + 3_600_000), 11).map((t) => ({ ...t, lmp: 900 }));
    await writeTicks(db, rt, "sim");
    await syncToClickhouse(db, client, 1_000);
    const revised = readRanges(await spans(CH_TABLE), from, to);
    assert.deepEqual(revised.map((r) => r.final), [false, true, false], "the revised hour is read FINAL");
    await same(ch, "revised");
    assert.equal((await ch.stats({ zone: "PJM", market: "RT", from: FROM, to: TO })).max, 900);

    // A part landing between the plan and the statements (an exact copy of rows, a higher version): read
    // plainly it would count them twice; the parts differ after the statements, so they run again FINAL.
    const copies = (await db.query<{ t: string }>(
      `SELECT interval_start::text AS t FROM market_prices
        WHERE zone = 'PJM' AND market = 'RT' AND interval_start >= '2025-02-20' AND interval_start < '2025-02-21'`,
    )).length;
    assert.ok(copies > 0);
    const day = simulateRealTime("PJM", new Date("2025-02-20T00:00:00Z"), new Date("2025-02-21T00:00:00Z"), 11);
    let statements = 0, landed = false;
    const racing = Object.assign(Object.create(client), {
      query: async (p: Parameters<ClickHouseClient["query"]>[0]) => {
        if (!p.query.includes("system.parts")) {
          statements++;
          if (!landed) landed = true, await insertClickhouse(client, day, "sim");
        }
        return await client.query(p);
      },
    }) as ClickHouseClient;
    const pg = postgresEngine(() => db);
    const a = await panelsOf(pg, "RT"), b = await panelsOf(clickhouseEngine(racing), "RT");
    assert.ok(landed);
    assertSame({ ...a, engine: "" }, { ...b, engine: "" }, "a part landed mid-read");
    assert.equal(statements, 8, "the panel's four statements, run again");
  } finally {
    await client.close();
    await db.close();
    restore();
  }
});
