/**
 * The ingest pipeline on a real database (PGlite, and Postgres when the run has one): batches are
 * upserts (duplicates harmless, revisions replace), applied whole, split to fit the bus, and the
 * latest-price cache never moves backwards.
 */
import assert from "node:assert/strict";
import { migrate } from "../../db/migrate.ts";
import type { Database, Transaction } from "../../db/database.ts";
import { openPglite } from "../../services/adapters/pglite.ts";
import { openPostgres } from "../../services/adapters/postgres.ts";
import { createCache } from "../../services/cache/cache.ts";
import { createQueue } from "../../services/queue/queue.ts";
import {
  applyBatch,
  batchSizeFor,
  coalescedApply,
  latestFromCache,
  publishTicks,
  startConsumer,
  updateLatest,
} from "../../services/market/ingest.ts";
import { history, latestTicks, writeTicks } from "../../services/market/store.ts";
import { writeLocationPrices } from "../../services/market/location_store.ts";
import { BULK_MIN } from "../../db/upsert.ts";
import { type LocationPrice, type PriceTick, TICK_BATCH_VERSION, type TickBatch } from "../../services/market/types.ts";
import type { Iso } from "../../services/market/zones.ts";
import { freshPostgresUrl, serviceTest } from "../helpers/services.ts";
import { testDatabase } from "../helpers/database.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

function tick(zone: Iso, market: "DA" | "RT", start: Date, lmp: number): PriceTick {
  const minutes = market === "DA" ? 60 : 5;
  const energy = Math.round(lmp * 80) / 100;
  const congestion = Math.round(lmp * 15) / 100;
  const loss = Math.round((lmp - energy - congestion) * 100) / 100;
  return {
    zone,
    market,
    interval_start: start.toISOString(),
    interval_end: new Date(start.getTime() + minutes * 60_000).toISOString(),
    lmp: Math.round((energy + congestion + loss) * 100) / 100,
    energy,
    congestion,
    loss,
  };
}

function series(zone: Iso, n: number, from = Date.UTC(2026, 0, 5)): PriceTick[] {
  return Array.from({ length: n }, (_, i) => tick(zone, "RT", new Date(from + i * 300_000), 30 + (i % 50)));
}

async function contract(db: Database) {
  await migrate(db);
  await db.exec("TRUNCATE market_prices");
  const ticks = series("PJM", 12_000);
  assert.equal(await writeTicks(db, ticks, "test"), 12_000);
  // A redelivery changes nothing; a revision replaces the price.
  await writeTicks(db, ticks.slice(0, 100), "test");
  const revised = { ...ticks[5], lmp: 99.99, energy: 90, congestion: 9.99, loss: 0 };
  await writeTicks(db, [revised, { ...revised, lmp: 77.77, energy: 70, congestion: 7.77 }], "test");
  const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_prices`);
  assert.equal(n, 12_000);
  const page = await history(db, {
    zone: "PJM",
    market: "RT",
    from: new Date(ticks[0].interval_start),
    to: new Date(Date.parse(ticks[9].interval_end)),
    limit: 6,
  });
  assert.equal(page.items.length, 6);
  assert.equal(page.items[5].lmp, 77.77, "the last tick of a batch wins");
  assert.deepEqual(page.items[0], ticks[0], "a tick reads back exactly as written");
  const rest = await history(db, {
    zone: "PJM",
    market: "RT",
    from: new Date(ticks[0].interval_start),
    to: new Date(Date.parse(ticks[9].interval_end)),
    limit: 6,
    after: page.next!,
  });
  assert.equal(rest.items.length, 4);
  assert.equal(rest.next, null);
  assert.equal(rest.items[0].interval_start, ticks[6].interval_start);
  const latest = await latestTicks(db, ["PJM", "ERCOT"]);
  assert.equal(latest.length, 1);
  assert.equal(latest[0].interval_start, ticks.at(-1)!.interval_start);
  await bulkContract(db, ticks);
  await keyContract(db);
}

/**
 * Within one call, rows are one key only when they are one row to the database: the last of each key wins, in
 * a small call and a large one; times apart by less than a millisecond are two rows, as are two markets or zones.
 */
async function keyContract(db: Database) {
  const at = Date.UTC(2030, 0, 1);
  const countAt = async (zone: Iso) =>
    (await db.query<{ n: number; lmp: number }>(
      `SELECT count(*)::int AS n, max(lmp)::float8 AS lmp FROM market_prices
        WHERE zone = $1 AND interval_start >= $2 AND interval_start < $3`,
      [zone, new Date(at), new Date(at + 3_600_000)],
    ))[0];
  const rtAt = async (zone: Iso) =>
    (await db.query<{ lmp: number }>(
      `SELECT lmp::float8 AS lmp FROM market_prices WHERE zone = $1 AND market = 'RT' AND interval_start = $2`,
      [zone, new Date(at)],
    ))[0].lmp;
  for (const [zone, pad] of [["ERCOT", 0], ["CAISO", BULK_MIN]] as const) {
    const filler = series(zone, pad, at + 86_400_000);
    const a = tick(zone, "RT", new Date(at), 10);
    // A time, its other market, and the same key again.
    assert.equal(
      await writeTicks(db, [a, tick(zone, "DA", new Date(at), 20), { ...a, lmp: 12 }, ...filler], "t"),
      2 + pad,
    );
    assert.deepEqual(await countAt(zone), { n: 2, lmp: 20 }, zone);
    assert.equal(await rtAt(zone), 12, `${zone}: the last of a key wins`);
    // A time with digits past the millisecond is another row.
    const rows = [{ ...a, lmp: 13 }, { ...a, interval_start: "2030-01-01T00:00:00.000400Z", lmp: 11 }, {
      ...a,
      lmp: 14,
    }];
    assert.equal(await writeTicks(db, [...rows, ...filler], "t"), 2 + pad);
    assert.deepEqual(await countAt(zone), { n: 3, lmp: 20 }, zone);
    assert.equal(await rtAt(zone), 14, `${zone}: the last of a key wins`);
  }
}

/** Batches past BULK_MIN take the bulk path (COPY on Postgres): same guarantees. */
async function bulkContract(db: Database, ticks: PriceTick[]) {
  assert.ok(ticks.length >= 3 * BULK_MIN);
  const stamps = async () =>
    await db.query<{ interval_start: string; at: string; lmp: string }>(
      `SELECT interval_start::text, ingested_at::text AS at, lmp::text FROM market_prices ORDER BY interval_start`,
    );
  const rollupMatches = async () => {
    const [{ off }] = await db.query<{ off: number }>(
      `SELECT count(*)::int AS off FROM (
         (SELECT zone, market, hour, n, lmp_sum, lmp_min, lmp_max FROM market_prices_hourly
          EXCEPT SELECT zone, market, date_bin('1 hour', interval_start, timestamptz '1970-01-01 00:00:00+00'),
                        count(*)::int, sum(lmp), min(lmp), max(lmp) FROM market_prices GROUP BY 1, 2, 3)
         UNION ALL
         (SELECT zone, market, date_bin('1 hour', interval_start, timestamptz '1970-01-01 00:00:00+00'),
                 count(*)::int, sum(lmp), min(lmp), max(lmp) FROM market_prices GROUP BY 1, 2, 3
          EXCEPT SELECT zone, market, hour, n, lmp_sum, lmp_min, lmp_max FROM market_prices_hourly)) d`,
    );
    assert.equal(off, 0, "the hourly rollup equals aggregating market_prices");
  };
  const before = await stamps();
  await new Promise((r) => setTimeout(r, 5)); // a rewritten row would show a later ingested_at

  // A redelivered large batch changes nothing, not even ingested_at (the ClickHouse relay's watermark).
  // (From the 11th tick on: the 6th was revised above, and its original would be a revision again.)
  assert.equal(await writeTicks(db, ticks.slice(10, 10 + 2 * BULK_MIN), "test"), 2 * BULK_MIN);
  assert.deepEqual(await stamps(), before);

  // New rows beside a revised one: the new ones land, the revision replaces its price, the rest stay as they were.
  const fresh = series("PJM", BULK_MIN, Date.parse(ticks.at(-1)!.interval_end));
  const revised = { ...ticks[2 * BULK_MIN], lmp: 55.55, energy: 50, congestion: 5.55, loss: 0 };
  await writeTicks(db, [...ticks.slice(10, 10 + BULK_MIN), revised, ...fresh], "test");
  const r = 2 * BULK_MIN;
  const after = await stamps();
  assert.equal(after.length, ticks.length + BULK_MIN);
  assert.equal(after[r].lmp, "55.5500");
  assert.notEqual(after[r].at, before[r].at, "a revision is news for the relay");
  assert.deepEqual(after.slice(0, r), before.slice(0, r));
  assert.deepEqual(after.slice(r + 1, ticks.length), before.slice(r + 1));
  await rollupMatches();

  // A large batch refused at its last row (the interval CHECK) leaves nothing behind and fails; it does not hang.
  const more = series("PJM", BULK_MIN, Date.parse(fresh.at(-1)!.interval_end));
  const bad = { ...more.at(-1)!, interval_end: more.at(-1)!.interval_start };
  await assert.rejects(() => writeTicks(db, [...more.slice(0, -1), bad], "test"));
  const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_prices`);
  assert.equal(n, ticks.length + BULK_MIN);
  // Refused by the client deep into the COPY stream (a price that is not a number, past the first pieces):
  // the same, the rows already sent roll back.
  const many = series("PJM", 3 * BULK_MIN + 5000, Date.parse(fresh.at(-1)!.interval_end));
  many[many.length - 2] = { ...many[many.length - 2], lmp: NaN };
  await assert.rejects(() => writeTicks(db, many, "test"), RangeError);
  const [{ n: still }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_prices`);
  assert.equal(still, ticks.length + BULK_MIN);

  // Location prices share the helper: a large batch, then its redelivery with one price revised.
  const hubs: LocationPrice[] = ticks.slice(10, 10 + BULK_MIN).map((t) => ({
    zone: t.zone,
    location: "WESTERN\tHUB\\x", // text COPY must escape
    market: t.market,
    interval_start: t.interval_start,
    interval_end: t.interval_end,
    lmp: t.lmp,
  }));
  assert.equal(await writeLocationPrices(db, hubs), BULK_MIN);
  await writeLocationPrices(db, hubs.map((h, i) => i === 7 ? { ...h, lmp: 1.25 } : h));
  const locs = await db.query<{ location: string; lmp: number }>(
    `SELECT location, lmp::float8 AS lmp FROM location_prices ORDER BY interval_start`,
  );
  assert.equal(locs.length, BULK_MIN);
  assert.equal(locs[0].location, "WESTERN\tHUB\\x");
  assert.equal(locs[7].lmp, 1.25);
  assert.equal(locs[8].lmp, hubs[8].lmp);
}

Deno.test("market_prices on PGlite: batched upserts, history pages, latest", opts, async () => {
  const db = await openPglite("memory://");
  try {
    await contract(db);
  } finally {
    await db.close();
  }
});

serviceTest("market_prices on Postgres: the same contract", ["postgres"], async () => {
  const db = await openPostgres(await freshPostgresUrl("ingest"));
  try {
    await contract(db);
  } finally {
    await db.close();
  }
});

Deno.test("a batch that fails is not half-applied", opts, async () => {
  const db = await testDatabase("ingest");
  try {
    await migrate(db);
    const good = series("MISO", 10);
    const bad = { ...good[3], interval_end: good[3].interval_start }; // violates the interval CHECK
    await assert.rejects(() => writeTicks(db, [...good, bad], "test"));
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_prices`);
    assert.equal(n, 0);
  } finally {
    await db.close();
  }
});

Deno.test("bus → consumer → store → cache → hub, with duplicates delivered twice", opts, async () => {
  const db = await testDatabase("ingest");
  const kv = await Deno.openKv(":memory:");
  const cache = createCache({ kv: () => kv, redis: () => null, prefix: "t:", namespace: "market" });
  const queue = createQueue({ kv: () => kv, backoffSchedule: [50, 100] });
  try {
    await migrate(db);
    const committed: PriceTick[] = [];
    const stop = startConsumer(queue, { db: () => db, cache, onCommitted: (t) => committed.push(...t) });
    const now = Date.now() - 601 * 300_000; // every tick in the past
    const ticks = [...series("PJM", 600, now), ...series("CAISO", 40, now)];
    const messages = await publishTicks(queue, ticks, "sim");
    assert.equal(messages, Math.ceil(600 / batchSizeFor("kv")) + 1, "split per zone and to KV's size");
    await publishTicks(queue, ticks, "sim"); // the same again: a duplicate
    const deadline = Date.now() + 15_000;
    while (committed.length < ticks.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_prices`);
    assert.equal(n, 640);
    assert.equal(committed.length, 640, "each batch reached the hub once");
    const latest = await latestFromCache(cache, ["PJM", "CAISO"]);
    assert.deepEqual(
      latest.map((t) => t.interval_start).sort(),
      [
        ticks[39 + 600].interval_start,
        ticks[599].interval_start,
      ].sort(),
    );
    await stop();
  } finally {
    await queue.close();
    kv.close();
    await db.close();
  }
});

Deno.test("batches arriving together share one write; a batch that fails is applied alone", opts, async () => {
  const db = await testDatabase("ingest");
  const kv = await Deno.openKv(":memory:");
  const cache = createCache({ kv: () => kv, redis: () => null, prefix: "t:", namespace: "market" });
  try {
    await migrate(db);
    const inserts: number[] = [];
    // A write of market_prices is one statement: a COPY on Postgres (in a transaction), an INSERT on PGlite.
    const writes = (text: string) => /^(INSERT INTO|COPY) market_prices\b/.test(text.trim()) && inserts.push(1);
    const watchTx = (tx: Transaction): Transaction => ({
      ...tx,
      query: (text, params) => (writes(text), tx.query(text, params)),
      ...(tx.copyIn ? { copyIn: (text: string, data) => (writes(text), tx.copyIn!(text, data)) } : {}),
    });
    const watched: Database = {
      ...db,
      query: (text, params) => (writes(text), db.query(text, params)),
      transaction: (fn) => db.transaction((tx) => fn(watchTx(tx))),
    };
    const committed: PriceTick[] = [];
    const apply = coalescedApply({ db: () => watched, cache, onCommitted: (t) => committed.push(...t) });
    const zones: Iso[] = ["PJM", "MISO", "ERCOT", "CAISO", "SPP"];
    const batches: TickBatch[] = zones.map((z) => ({ v: TICK_BATCH_VERSION, source: "sim", ticks: series(z, 40) }));
    await Promise.all(batches.map((b) => apply(b)));
    assert.equal(inserts.length, 1, "five batches queued together: one write");
    assert.equal(committed.length, 200);
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_prices`);
    assert.equal(n, 200, "every caller resolved after its ticks were committed");

    // One batch the database refuses (lmp beyond numeric(12,4)): the others still land, it alone fails.
    inserts.length = 0;
    const bad: TickBatch = { v: TICK_BATCH_VERSION, source: "sim", ticks: [{ ...series("NYISO", 1)[0], lmp: 1e12 }] };
    const good: TickBatch = { v: TICK_BATCH_VERSION, source: "sim", ticks: series("ISONE", 10) };
    const results = await Promise.allSettled([apply(good), apply(bad)]);
    assert.equal(results[0].status, "fulfilled");
    assert.equal(results[1].status, "rejected");
    assert.equal(inserts.length, 3, "the shared write, then each batch alone");
    const [{ m }] = await db.query<{ m: number }>(`SELECT count(*)::int AS m FROM market_prices WHERE zone = 'ISONE'`);
    assert.equal(m, 10);
  } finally {
    kv.close();
    await db.close();
  }
});

Deno.test("a malformed batch on the bus is dropped, not retried forever", opts, async () => {
  const db = await testDatabase("ingest");
  const kv = await Deno.openKv(":memory:");
  const cache = createCache({ kv: () => kv, redis: () => null, prefix: "t:", namespace: "market" });
  const queue = createQueue({ kv: () => kv, backoffSchedule: [50] });
  try {
    await migrate(db);
    const stop = startConsumer(queue, { db: () => db, cache });
    await queue.publish("market_data.PJM", { v: TICK_BATCH_VERSION, source: "x", ticks: [{ zone: "PJM" }] }, {
      idempotencyKey: "bad-1",
    });
    const good = series("PJM", 3);
    await applyBatch({ db: () => db, cache }, { v: TICK_BATCH_VERSION, source: "x", ticks: good });
    await new Promise((r) => setTimeout(r, 300));
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_prices`);
    assert.equal(n, 3);
    await stop();
  } finally {
    await queue.close();
    kv.close();
    await db.close();
  }
});

Deno.test("the latest-price cache never moves backwards and ignores future intervals", opts, async () => {
  const kv = await Deno.openKv(":memory:");
  const cache = createCache({ kv: () => kv, redis: () => null, prefix: "t:", namespace: "market" });
  try {
    const now = Date.now();
    const newer = tick("ERCOT", "RT", new Date(now - 300_000), 50);
    const older = tick("ERCOT", "RT", new Date(now - 600_000), 40);
    const future = tick("ERCOT", "DA", new Date(now + 86_400_000), 60);
    await updateLatest(cache, [newer]);
    await updateLatest(cache, [older, future]);
    assert.deepEqual(await latestFromCache(cache, ["ERCOT"]), [newer]);
    // Another spelling of a time is compared by its instant, not as text. An hour ago written at UTC+2 reads as
    // later than five minutes ago written in UTC: older all the same, it does not replace it.
    const spelled = (ms: number, offsetH: number) =>
      new Date(Math.floor(ms / 1000) * 1000 + offsetH * 3_600_000).toISOString().replace(
        ".000Z",
        `+${String(offsetH).padStart(2, "0")}:00`,
      );
    const olderLookingNewer = { ...newer, interval_start: spelled(now - 3_600_000, 2), lmp: 70 };
    assert.ok(olderLookingNewer.interval_start > newer.interval_start);
    await updateLatest(cache, [olderLookingNewer]);
    assert.deepEqual(await latestFromCache(cache, ["ERCOT"]), [newer]);
    // In the future, in that spelling: ignored; in the past and newest: kept.
    await updateLatest(cache, [{ ...newer, interval_start: spelled(now + 3_600_000, 0), lmp: 75 }]);
    assert.deepEqual(await latestFromCache(cache, ["ERCOT"]), [newer]);
    const offsetNewest = { ...newer, interval_start: spelled(now - 1000, 2), lmp: 80 };
    await updateLatest(cache, [offsetNewest]);
    assert.deepEqual(await latestFromCache(cache, ["ERCOT"]), [offsetNewest]);
    // Within one batch as well: the newest by instant wins whatever the spelling.
    await updateLatest(cache, [{ ...newer, interval_start: spelled(now - 500, 0), lmp: 90 }, {
      ...newer,
      interval_start: spelled(now - 7_200_000, 5),
      lmp: 91,
    }]);
    assert.equal((await latestFromCache(cache, ["ERCOT"]))[0].lmp, 90);
  } finally {
    kv.close();
  }
});

Deno.test("concurrent batches cannot move the latest price backwards", opts, async () => {
  // A cache whose reads are slow: without serialising, both writers would read the same old value.
  const store = new Map<string, unknown>();
  const slowCache = {
    async get<T>(key: string) {
      await new Promise((r) => setTimeout(r, 20));
      return store.get(key) as T | undefined;
    },
    set(key: string, value: unknown) {
      store.set(key, value);
      return Promise.resolve();
    },
    delete(key: string) {
      store.delete(key);
      return Promise.resolve();
    },
    backend: () => "kv" as const,
  };
  const now = Date.now();
  const newer = tick("SPP", "RT", new Date(now - 300_000), 50);
  const older = tick("SPP", "RT", new Date(now - 900_000), 40);
  await Promise.all([updateLatest(slowCache, [newer]), updateLatest(slowCache, [older])]);
  assert.deepEqual(await latestFromCache(slowCache, ["SPP"]), [newer]);
});

Deno.test(
  "location prices go through the bus with the ticks: upserted, redelivery harmless, never half-applied",
  opts,
  async () => {
    const db = await testDatabase("ingest");
    const kv = await Deno.openKv(":memory:");
    const cache = createCache({ kv: () => kv, redis: () => null, prefix: "t:", namespace: "market" });
    const queue = createQueue({ kv: () => kv, backoffSchedule: [50] });
    try {
      await migrate(db);
      const ticks = series("PJM", 300);
      const locations: LocationPrice[] = ticks.flatMap((t) =>
        ["AEP-DAYTON HUB", "EASTERN HUB"].map((location, i) => ({
          zone: t.zone,
          location,
          market: t.market,
          interval_start: t.interval_start,
          interval_end: t.interval_end,
          lmp: t.lmp + (i ? -1.5 : 2.25),
        }))
      );
      let committed = 0;
      const stop = startConsumer(queue, { db: () => db, cache, onCommitted: (t) => (committed += t.length) });
      const count = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM location_prices`))[0].n;
      // KV batches hold 900 (packed): 1 of ticks, 1 of location prices.
      assert.equal(await publishTicks(queue, ticks, "sim", locations), 2);
      const deadline = Date.now() + 20_000;
      while ((await count()) < 600 || committed < 300) {
        if (Date.now() > deadline) throw new Error("location prices did not arrive");
        await new Promise((r) => setTimeout(r, 50));
      }
      const [row] = await db.query<{ lmp: number }>(
        `SELECT lmp::float8 AS lmp FROM location_prices WHERE location = 'AEP-DAYTON HUB' AND interval_start = $1`,
        [ticks[7].interval_start],
      );
      assert.equal(row.lmp, ticks[7].lmp + 2.25);
      // A re-publish is a duplicate on the bus, and an upsert in the store anyway.
      await publishTicks(queue, ticks, "sim", locations);
      await applyBatch({ db: () => db, cache }, { v: TICK_BATCH_VERSION, source: "sim", ticks, locations });
      assert.equal(await count(), 600);
      await stop();

      // A batch whose location prices the database refuses leaves its zone prices unwritten too.
      const later = series("MISO", 2, Date.UTC(2026, 1, 1));
      const broken = { ...locations[0], zone: "MISO" as const, lmp: 1e12 };
      await assert.rejects(
        applyBatch({ db: () => db, cache }, {
          v: TICK_BATCH_VERSION,
          source: "sim",
          ticks: later,
          locations: [broken],
        }),
      );
      const [{ m }] = await db.query<{ m: number }>(`SELECT count(*)::int AS m FROM market_prices WHERE zone = 'MISO'`);
      assert.equal(m, 0);
    } finally {
      await queue.close();
      kv.close();
      await db.close();
    }
  },
);
