/**
 * Analytics latency: one year of 5-minute RT and hourly DA prices for the seven zones (simulator, ~797k rows)
 * in a throwaway Postgres database and a throwaway ClickHouse database (copied by the relay's own code, with
 * its hourly rollup), then the full market panel of one zone and one year (every panel the page shows)
 * RUNS times on each engine in the same run: p50 and p99. Targets: p50 < 150 ms on Postgres, < 50 ms on
 * ClickHouse. Then the /analytics page's SSR against the same bytes served from memory (bench/ssr.ts,
 * BENCH_PAGES=/analytics; target ratio ≥ 0.5).
 */
import { createClient } from "@clickhouse/client";
import { openPostgres } from "../services/adapters/postgres.ts";
import { migrate } from "../db/migrate.ts";
import { clickhouseEngine } from "../services/analytics/clickhouse.ts";
import { marketPanels } from "../services/analytics/market.ts";
import { postgresEngine } from "../services/analytics/postgres.ts";
import type { MarketEngine } from "../services/analytics/engine.ts";
import { ensureClickhouseTable, syncToClickhouse } from "../services/market/clickhouse_store.ts";
import { dayAheadHistory, simulateRealTime } from "../services/market/simulator.ts";
import { writeTicks } from "../services/market/store.ts";
import { ISOS } from "../services/market/zones.ts";
import { fmt, throwawayDatabase } from "./lib.ts";

const RUNS = Number(Deno.env.get("BENCH_ANALYTICS_RUNS") ?? 30);
const CH_URL = Deno.env.get("BENCH_CLICKHOUSE_URL") ?? "http://127.0.0.1:8123";
const FROM = new Date("2025-01-01T00:00:00Z"), TO = new Date("2026-01-01T00:00:00Z");

function quantile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(p * s.length) - 1)];
}

async function latency(engine: MarketEngine): Promise<{ p50: number; p99: number }> {
  const r = { zones: ["PJM" as const], market: "RT" as const, from: FROM, to: TO, threshold: 6 };
  await marketPanels(engine, r); // warm-up: caches, JIT
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const out = await marketPanels(engine, r);
    ms.push(performance.now() - t);
    if (out.stats.count < 100_000) throw new Error(`${engine.name}: only ${out.stats.count} RT intervals`);
  }
  return { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
}

export async function benchAnalytics(): Promise<Record<string, number>> {
  const pg = await throwawayDatabase("analytics");
  if (!pg) {
    console.log("analytics: skipped, no Postgres server (BENCH_PG_ADMIN_URL)");
    return {};
  }
  const db = await openPostgres(pg.url, { max: 8 });
  const chDb = `optibid_bench_analytics_${Date.now()}`;
  let ch: ReturnType<typeof createClient> | null = null;
  const out: Record<string, number> = {};
  try {
    await migrate(db);
    const t0 = performance.now();
    let rows = 0;
    for (const zone of ISOS) {
      for (let m = 0; m < 12; m++) {
        const a = Date.UTC(2025, m, 1), b = Date.UTC(2025, m + 1, 1);
        rows += await writeTicks(db, simulateRealTime(zone, new Date(a), new Date(b), 20240501), "sim");
      }
    }
    for (const { ticks } of dayAheadHistory(ISOS, "2024-12-31", "2025-12-31", 20240501)) {
      rows += await writeTicks(db, ticks.filter((t) => t.interval_start >= FROM.toISOString()), "sim");
    }
    await db.query("ANALYZE market_prices");
    console.log(
      `analytics: ${rows} rows (7 zones, 2025) written to Postgres in ${fmt((performance.now() - t0) / 1000)} s`,
    );
    const pgLat = await latency(postgresEngine(() => db));
    out.pg_p50_ms = pgLat.p50, out.pg_p99_ms = pgLat.p99;
    console.log(
      `  Postgres   full market panel, PJM RT, one year: p50 ${fmt(pgLat.p50)} ms  p99 ${
        fmt(pgLat.p99)
      } ms  (${RUNS} runs; target p50 < 150 ms)`,
    );

    try {
      const created = await fetch(CH_URL, { method: "POST", body: `CREATE DATABASE ${chDb}` });
      if (!created.ok) throw new Error(await created.text());
      ch = createClient({ url: `${CH_URL}/${chDb}`, request_timeout: 60_000 });
      await ensureClickhouseTable(ch);
      const t1 = performance.now();
      let copied = 0;
      for (let n; (n = await syncToClickhouse(db, ch, 100)) > 0;) copied += n;
      console.log(
        `  ClickHouse copy by the relay (with hourly rollup): ${copied} rows in ${
          fmt((performance.now() - t1) / 1000)
        } s`,
      );
      await ch.command({ query: "OPTIMIZE TABLE market_prices FINAL" });
      await ch.command({ query: "OPTIMIZE TABLE market_prices_hourly FINAL" });
      const chLat = await latency(clickhouseEngine(ch));
      out.ch_p50_ms = chLat.p50, out.ch_p99_ms = chLat.p99;
      console.log(
        `  ClickHouse full market panel, PJM RT, one year: p50 ${fmt(chLat.p50)} ms  p99 ${
          fmt(chLat.p99)
        } ms  (${RUNS} runs; target p50 < 50 ms)`,
      );
    } catch (e) {
      console.log(`  ClickHouse: skipped (${e instanceof Error ? e.message : e})`);
    }
  } finally {
    if (ch) {
      await ch.command({ query: `DROP DATABASE IF EXISTS ${chDb}` }).catch(() => {});
      await ch.close();
    }
    await db.close();
    await pg.drop();
  }
  console.log(`  load average: ${(await Deno.readTextFile("/proc/loadavg")).trim()}`);

  // The page's SSR ratio, measured by the SSR benchmark on /analytics.
  const ssr = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "bench/run.ts", "ssr"],
    // The app it spawns keeps 30 days of prices (the page's default range) and runs no forecast job, whose
    // recalibrations would share the measured core.
    env: { BENCH_PAGES: "/analytics", FORECAST_JOB: "off", MARKET_DA_HISTORY_DAYS: "30" },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!ssr.success) console.log("analytics: the SSR measurement of /analytics failed");
  return out;
}
