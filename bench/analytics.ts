/**
 * Analytics latency: one year of 5-minute RT and hourly DA prices for the seven zones (simulator, ~797k rows)
 * in a throwaway Postgres database and a throwaway ClickHouse database (written by the relay's own insert,
 * hourly rollup and spike baselines; BENCH_ANALYTICS_KEEP=1 keeps both, named optibid_bench_analytics, and reuses them), then the full market panel of one zone and one year (every panel the page shows)
 * RUNS times on each engine in the same run: p50 and p99. Targets: p50 < 150 ms on Postgres, < 50 ms on
 * ClickHouse. Then the /analytics page's SSR against the same bytes served from memory (bench/ssr.ts,
 * BENCH_PAGES=/analytics; target ratio ≥ 0.5; BENCH_ANALYTICS_SSR=off skips it).
 */
import { type ClickHouseClient, createClient } from "@clickhouse/client-web";
import type { Database } from "../db/database.ts";
import { openPostgres } from "../services/adapters/postgres.ts";
import { migrate } from "../db/migrate.ts";
import { clickhouseEngine } from "../services/analytics/clickhouse.ts";
import { marketPanels } from "../services/analytics/market.ts";
import { postgresEngine } from "../services/analytics/postgres.ts";
import type { MarketEngine } from "../services/analytics/engine.ts";
import {
  CH_BASELINES,
  ensureClickhouseTable,
  insertClickhouse,
  refreshHourly,
} from "../services/market/clickhouse_store.ts";
import { dayAheadHistory, simulateRealTime } from "../services/market/simulator.ts";
import { writeTicks } from "../services/market/store.ts";
import type { PriceTick } from "../services/market/types.ts";
import { ISOS } from "../services/market/zones.ts";
import { benchDatabase, fmt, report } from "./lib.ts";
import { parseSummary } from "./summary.ts";

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

/** The year's prices, a zone-month of RT or a day of DA at a time (the simulator's own chunks). */
function* yearTicks(): Generator<PriceTick[]> {
  for (const zone of ISOS) {
    for (let m = 0; m < 12; m++) {
      yield simulateRealTime(zone, new Date(Date.UTC(2025, m, 1)), new Date(Date.UTC(2025, m + 1, 1)), 20240501);
    }
  }
  for (const { ticks } of dayAheadHistory(ISOS, "2024-12-31", "2025-12-31", 20240501)) {
    yield ticks.filter((t) => t.interval_start >= FROM.toISOString());
  }
}

const LOADED_KEY = "bench_analytics_loaded";

function reportPanel(engine: string, lat: { p50: number; p99: number }, targetMs: number): void {
  const figure = `full market panel, one zone, one year, ${engine}`;
  report({
    bench: "analytics",
    figure: `${figure} p50`,
    value: lat.p50,
    unit: "ms",
    target: { op: "<", value: targetMs, source: "issue 16" },
  });
  report({ bench: "analytics", figure: `${figure} p99`, value: lat.p99, unit: "ms" });
}

async function loadPostgres(db: Database): Promise<number> {
  const t0 = performance.now();
  let rows = 0;
  // The rollup's statement triggers (migration 012) off while loading — recomputing touched hours after every
  // chunk costs more than the load itself — and rebuilt once at the end, as the migration builds it.
  await db.transaction(async (tx) => {
    await tx.query("SET LOCAL session_replication_role = replica");
    for (const ticks of yearTicks()) rows += await writeTicks(tx, ticks, "sim");
    await tx.query("DELETE FROM market_prices_hourly");
    await tx.query(
      `INSERT INTO market_prices_hourly (zone, market, hour, n, lmp_sum, lmp_min, lmp_max)
       SELECT zone, market, date_bin('1 hour', interval_start, timestamptz '1970-01-01 00:00:00+00'), count(*),
              sum(lmp), min(lmp), max(lmp)
         FROM market_prices GROUP BY 1, 2, 3`,
    );
    // The spike baselines' triggers (migration 021) were off with the rest: rebuilt once, as the migration does.
    await tx.query(
      `SELECT market_spike_baselines_refresh(array_agg(zone), array_agg(hour)) FROM market_prices_hourly
        WHERE market = 'RT'`,
    );
  });
  await db.query("ANALYZE market_prices");
  await db.query("ANALYZE market_prices_hourly");
  await db.query(`INSERT INTO app_meta (key, value) VALUES ($1, $2)`, [LOADED_KEY, String(rows)]);
  console.log(
    `analytics: ${rows} rows (7 zones, 2025) written to Postgres in ${fmt((performance.now() - t0) / 1000)} s`,
  );
  return rows;
}

/** The same rows into ClickHouse with the relay's own insert and hourly rollup, a chunk per statement. */
async function loadClickhouse(ch: ClickHouseClient): Promise<void> {
  await ensureClickhouseTable(ch);
  const t1 = performance.now();
  let copied = 0;
  // Chunks of about 100k rows: a statement per day of DA prices would be thousands of small parts.
  let batch: PriceTick[] = [];
  const flush = async () => {
    await insertClickhouse(ch, batch, "sim");
    await refreshHourly(ch, batch);
    copied += batch.length;
    batch = [];
  };
  for (const ticks of yearTicks()) {
    batch.push(...ticks);
    if (batch.length >= 100_000) await flush();
  }
  if (batch.length) await flush();
  await ch.command({ query: "OPTIMIZE TABLE market_prices FINAL" });
  await ch.command({ query: "OPTIMIZE TABLE market_prices_hourly FINAL" });
  await ch.command({ query: `OPTIMIZE TABLE ${CH_BASELINES} FINAL` });
  console.log(`  ClickHouse load (with hourly rollup): ${copied} rows in ${fmt((performance.now() - t1) / 1000)} s`);
}

async function chCount(ch: ClickHouseClient): Promise<number> {
  try {
    const exists = await ch.query({ query: "EXISTS TABLE market_prices_hourly", format: "JSONEachRow" });
    if (!Number((await exists.json<{ result: number | string }>())[0]?.result)) return 0;
    const rs = await ch.query({ query: "SELECT count() AS n FROM market_prices", format: "JSONEachRow" });
    const [r] = await rs.json<{ n: string }>();
    return Number(r?.n ?? 0);
  } catch {
    return 0;
  }
}

export async function benchAnalytics(): Promise<Record<string, number>> {
  // BENCH_ANALYTICS_KEEP=1: load the year once into databases named optibid_bench_analytics (Postgres and
  // ClickHouse), keep them, and reuse them on the next run (a run that finds them incomplete reloads).
  const keep = Deno.env.get("BENCH_ANALYTICS_KEEP") === "1";
  const name = keep ? "optibid_bench_analytics" : `optibid_bench_analytics_${Date.now()}`;
  const pg = await benchDatabase(name, keep);
  if (!pg) {
    console.log("analytics: skipped, no Postgres server (BENCH_PG_ADMIN_URL)");
    return {};
  }
  const db = await openPostgres(pg.url, { max: 8 });
  const chDb = name;
  let ch: ClickHouseClient | null = null;
  const out: Record<string, number> = {};
  try {
    await migrate(db);
    const [loaded] = await db.query<{ value: string }>(`SELECT value FROM app_meta WHERE key = $1`, [LOADED_KEY]);
    const rows = loaded ? Number(loaded.value) : await loadPostgres(db);
    if (loaded) console.log(`analytics: reusing ${rows} rows in Postgres database ${name}`);
    const pgLat = await latency(postgresEngine(() => db));
    out.pg_p50_ms = pgLat.p50, out.pg_p99_ms = pgLat.p99;
    reportPanel("Postgres", pgLat, 150);
    console.log(
      `  Postgres   full market panel, PJM RT, one year: p50 ${fmt(pgLat.p50)} ms  p99 ${
        fmt(pgLat.p99)
      } ms  (${RUNS} runs; target p50 < 150 ms)`,
    );

    try {
      const created = await fetch(CH_URL, { method: "POST", body: `CREATE DATABASE IF NOT EXISTS ${chDb}` });
      if (!created.ok) throw new Error(await created.text());
      ch = createClient({ url: `${CH_URL}/${chDb}`, request_timeout: 60_000 });
      const have = await chCount(ch);
      if (have === rows) {
        // A kept copy from before a table was added gets it (the spike baselines are filled from the rollup).
        await ensureClickhouseTable(ch);
        console.log(`  ClickHouse: reusing ${have} rows in database ${chDb}`);
      } else {
        if (have) {
          await ch.command({ query: "DROP TABLE IF EXISTS market_prices" });
          await ch.command({ query: "DROP TABLE IF EXISTS market_prices_hourly" });
          await ch.command({ query: `DROP TABLE IF EXISTS ${CH_BASELINES}` });
        }
        await loadClickhouse(ch);
      }
      const chLat = await latency(clickhouseEngine(ch));
      out.ch_p50_ms = chLat.p50, out.ch_p99_ms = chLat.p99;
      reportPanel("ClickHouse", chLat, 50);
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
      if (!keep) await ch.command({ query: `DROP DATABASE IF EXISTS ${chDb}` }).catch(() => {});
      await ch.close();
    }
    await db.close();
    await pg.drop();
  }
  console.log(`  load average: ${(await Deno.readTextFile("/proc/loadavg")).trim()}`);
  if (Deno.env.get("BENCH_ANALYTICS_SSR") === "off") return out;

  // The page's SSR ratio, measured by the SSR benchmark on /analytics; its figures come back as its summary.
  const figures = await Deno.makeTempFile({ suffix: ".json" });
  const ssr = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "bench/run.ts", "ssr", `--out=${figures}`, "--no-table"],
    // The app it spawns keeps 30 days of prices (the page's default range) and runs no forecast job, whose
    // recalibrations would share the measured core.
    env: { BENCH_PAGES: "/analytics", FORECAST_JOB: "off", MARKET_DA_HISTORY_DAYS: "30" },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!ssr.success) console.log("analytics: the SSR measurement of /analytics failed");
  else {
    for (const f of parseSummary(await Deno.readTextFile(figures)).figures) {
      const { met: _met, load: _load, ...figure } = f;
      report({ ...figure, bench: "analytics" });
    }
  }
  await Deno.remove(figures);
  return out;
}
