/**
 * Ingest: sustained ticks/s from the bus into the database. Ticks are published
 * to the bus (the Deno KV queue here: no Kafka broker on this machine) as the
 * simulator would, and the real consumer writes them to Postgres (a throwaway
 * database on the local server; PGlite when there is none), updates the
 * latest-price cache and hands them on. Measured from the first publish to the
 * last row committed. Baseline in the same run: the same ticks written straight
 * to the store, without the bus. Targets (issue 20): ≥ 200,000 ticks/s into Postgres, ≥ 100,000 into PGlite
 * (BENCH_INGEST_DB=pglite runs it on PGlite with a Postgres server up), for the store alone and through the bus.
 * Then the simulator's real load: the same number of
 * ticks with every zone's hub prices (services/market/hub_basis.ts: ~7.4 location prices per tick) beside them,
 * reported as zone ticks/s and as rows/s (ticks + location prices).
 */
import { migrate } from "../db/migrate.ts";
import type { Database } from "../db/database.ts";
import { openPgliteRemote } from "../services/adapters/pglite_remote.ts";
import { openPostgres } from "../services/adapters/postgres.ts";
import { createCache } from "../services/cache/cache.ts";
import { createQueue } from "../services/queue/queue.ts";
import { publishTicks, startConsumer } from "../services/market/ingest.ts";
import { simulateRealTime } from "../services/market/simulator.ts";
import { hubPrices } from "../services/market/hub_basis.ts";
import { writeTicks } from "../services/market/store.ts";
import type { PriceTick } from "../services/market/types.ts";
import { ISOS } from "../services/market/zones.ts";
import { fmt, report, throwawayDatabase } from "./lib.ts";

const DAYS = Number(Deno.env.get("BENCH_INGEST_DAYS") ?? 120);

async function database(): Promise<{ db: Database; label: string; drop(): Promise<void> }> {
  const pg = Deno.env.get("BENCH_INGEST_DB") === "pglite" ? null : await throwawayDatabase("ingest");
  if (pg) {
    const db = await openPostgres(pg.url);
    return {
      db,
      label: "Postgres",
      async drop() {
        await db.close();
        await pg.drop();
      },
    };
  }
  // On a worker thread, as the app runs it (main.ts): the consumer's work and the engine's on two cores.
  const { db } = await openPgliteRemote(null, { migrate: true });
  const why = Deno.env.get("BENCH_INGEST_DB") === "pglite" ? "BENCH_INGEST_DB=pglite" : "no Postgres server found";
  return { db, label: `PGlite on its worker thread (${why})`, drop: () => db.close() };
}

function ticksFor(days: number, shift: number): PriceTick[] {
  const to = new Date(Date.UTC(2025, 0, 1) + shift * 86_400_000 * days);
  const from = new Date(to.getTime() - days * 86_400_000);
  return ISOS.flatMap((zone) => simulateRealTime(zone, from, to, 7));
}

export async function benchIngest(): Promise<Record<string, number>> {
  const { db, label, drop } = await database();
  const kv = await Deno.openKv(":memory:");
  const cache = createCache({ kv: () => kv, redis: () => null, prefix: "bench:", namespace: "market" });
  const queue = createQueue({ kv: () => kv });
  try {
    await migrate(db);
    // Baseline: straight into the store.
    const direct = ticksFor(DAYS, 0);
    let t0 = performance.now();
    await writeTicks(db, direct, "bench");
    const directS = (performance.now() - t0) / 1000;

    // Through the bus.
    const viaBus = ticksFor(DAYS, 1);
    let committed = 0;
    const done = Promise.withResolvers<void>();
    const stop = startConsumer(queue, {
      db: () => db,
      cache,
      onCommitted: (t) => {
        committed += t.length;
        if (committed >= viaBus.length) done.resolve();
      },
    });
    t0 = performance.now();
    const messages = await publishTicks(queue, viaBus, "bench");
    const publishedS = (performance.now() - t0) / 1000;
    await done.promise;
    const busS = (performance.now() - t0) / 1000;
    await stop();

    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_prices`);

    // Through the bus with hub prices, as the simulator publishes: the time from publish to the last row committed.
    const withHubs = ticksFor(DAYS, 2);
    const hubs = hubPrices(withHubs, 7);
    const hubCount = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM location_prices`))[0].n;
    let hubTicks = 0;
    const stopHubs = startConsumer(queue, { db: () => db, cache, onCommitted: (t) => (hubTicks += t.length) });
    t0 = performance.now();
    const hubMessages = await publishTicks(queue, withHubs, "bench", hubs);
    while (hubTicks < withHubs.length || (await hubCount()) < hubs.length) await new Promise((r) => setTimeout(r, 20));
    const hubS = (performance.now() - t0) / 1000;
    await stopHubs();
    const result = {
      ticks: viaBus.length,
      messages,
      busTicksPerS: viaBus.length / busS,
      directTicksPerS: direct.length / directS,
      rows: n,
      hubTicksPerS: withHubs.length / hubS,
      hubRowsPerS: (withHubs.length + hubs.length) / hubS,
    };
    const onPg = label === "Postgres";
    report({
      bench: "ingest",
      figure: `bus → consumer → ${onPg ? "Postgres" : "PGlite"}`,
      value: result.busTicksPerS,
      unit: "ticks/s",
      target: { op: ">=", value: onPg ? 200_000 : 100_000, source: "issue 20" },
      baseline: { label: "straight to the store", value: result.directTicksPerS, unit: "ticks/s" },
    });
    console.log(`ingest: ${viaBus.length} RT ticks (${DAYS} days × 7 zones) into ${label}`);
    console.log(
      `  bus → consumer → ${label}  ${fmt(result.busTicksPerS, 0)} ticks/s  (${messages} KV-queue messages, ` +
        `published in ${fmt(publishedS, 2)} s, all committed in ${fmt(busS, 2)} s)`,
    );
    console.log(`  straight to the store   ${fmt(result.directTicksPerS, 0)} ticks/s  (baseline, same run)`);
    const target = db.kind === "postgres" ? 200_000 : 100_000;
    const verdict = (v: number) => v >= target ? "met" : "MISSED";
    console.log(
      `  ratio ${fmt(result.busTicksPerS / result.directTicksPerS, 2)}; target ≥ ${fmt(target, 0)} ticks/s: store ${
        verdict(result.directTicksPerS)
      }, through the bus ${verdict(result.busTicksPerS)}; rows ${n} (expected ${direct.length + viaBus.length})`,
    );
    console.log(
      `  with hub prices (bus)   ${fmt(result.hubTicksPerS, 0)} ticks/s, ${
        fmt(result.hubRowsPerS, 0)
      } rows/s  (${hubs.length} location prices beside ${withHubs.length} ticks, ${hubMessages} messages, ${
        fmt(hubS, 2)
      } s)`,
    );
    return result;
  } finally {
    await queue.close();
    kv.close();
    await drop();
  }
}

if (import.meta.main) await benchIngest();
