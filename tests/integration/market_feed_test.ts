/** The feed inside the app: a first start fills in history, DA prices go out once published; replay plays a file. */
import assert from "node:assert/strict";
import type { Database } from "../../db/database.ts";
import { migrate } from "../../db/migrate.ts";
import { createCache } from "../../services/cache/cache.ts";
import { loadConfig } from "../../services/config/env.ts";
import { startFeed } from "../../services/market/feed.ts";
import { VIRTUAL_RULES } from "../../services/bids/virtual_rules.ts";
import { startConsumer } from "../../services/market/ingest.ts";
import { writeTicks } from "../../services/market/store.ts";
import { ISOS, operatingDate } from "../../services/market/zones.ts";
import { addDays, localDayBounds } from "../../services/market/clock.ts";
import { createQueue } from "../../services/queue/queue.ts";
import { serviceTest, testServices } from "../helpers/services.ts";
import { testDatabase } from "../helpers/database.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

async function pipeline() {
  const db = await testDatabase("feed");
  await migrate(db);
  const kv = await Deno.openKv(":memory:");
  const cache = createCache({ kv: () => kv, redis: () => null, prefix: "t:", namespace: "app" });
  const queue = createQueue({ kv: () => kv, backoffSchedule: [50, 100] });
  let committed = 0, history = 0;
  const sinks = {
    db: () => db,
    cache,
    onCommitted: (t: unknown[]) => (committed += t.length),
    onHistory: (t: unknown[]) => (history += t.length),
  };
  const stop = startConsumer(queue, sinks);
  return {
    db,
    queue,
    sinks,
    committed: () => committed,
    history: () => history,
    async close() {
      await stop();
      await queue.close();
      kv.close();
      await db.close();
    },
  };
}

async function until(pred: () => Promise<boolean>, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test(
  "simulator feed: a first start backfills history, then today's DA goes out through the bus",
  opts,
  async () => {
    const p = await pipeline();
    try {
      const config = loadConfig({ MARKET_SOURCE: "simulator", MARKET_BACKFILL_DAYS: "2", MARKET_SEED: "3" });
      const feed = startFeed({ config, db: () => p.db, queue: p.queue, sinks: p.sinks });
      await feed.ready;
      const [{ rt }] = await p.db.query<{ rt: number }>(
        `SELECT count(*)::int AS rt FROM market_prices WHERE market = 'RT'`,
      );
      assert.ok(rt >= 7 * 2 * 288 - 7 * 12, `two days of 5-minute prices for 7 zones (${rt})`);
      // The backfill is stored as history, not sent to live screens as news (today's DA results may be).
      assert.ok(p.history() >= rt, `backfill as history (${p.history()})`);
      assert.ok(p.committed() < 7 * 100, `backfill not published as news (${p.committed()})`);
      // With every zone price, the prices of the zone's virtual-bid locations (the reference one is the zone price).
      const [{ hubRt, locations }] = await p.db.query<{ hubRt: number; locations: number }>(
        `SELECT count(*)::int AS "hubRt", count(DISTINCT (zone, location))::int AS locations
           FROM location_prices WHERE market = 'RT'`,
      );
      const listed = Object.values(VIRTUAL_RULES).reduce((n, r) => n + (r?.locations.length ?? 0), 0);
      assert.equal(locations, listed);
      assert.ok(hubRt >= (rt / 7) * 12, `hub RT prices (${hubRt})`);
      const [ref] = await p.db.query<{ same: boolean }>(
        `SELECT bool_and(l.lmp = m.lmp) AS same FROM location_prices l
           JOIN market_prices m USING (zone, market, interval_start) WHERE l.location = 'WESTERN HUB'`,
      );
      assert.equal(ref.same, true, "the reference hub is the zone's price");
      // DA prices and load go back MARKET_DA_HISTORY_DAYS (182 by default): the forecast job's history.
      const days = await p.db.query<{ zone: string; days: number; load_days: number }>(
        `SELECT p.zone, count(DISTINCT date_trunc('day', p.interval_start))::int AS days,
                (SELECT count(DISTINCT date_trunc('day', l.interval_start))::int FROM market_load l
                  WHERE l.zone = p.zone AND l.forecast_mw IS NOT NULL) AS load_days
           FROM market_prices p WHERE p.market = 'DA' GROUP BY p.zone`,
      );
      assert.equal(days.length, ISOS.length);
      for (const d of days) {
        assert.ok(d.days >= 182, `${d.zone}: ${d.days} days of DA prices`);
        assert.ok(d.load_days >= 182, `${d.zone}: ${d.load_days} days of load forecasts`);
      }
      // Today's DA prices: published by then in every zone (results come out the day before).
      await until(async () => {
        const rows = await p.db.query<{ zone: string }>(
          `SELECT DISTINCT zone FROM market_prices WHERE market = 'DA' AND interval_start <= now() AND interval_end > now()`,
        );
        return rows.length === ISOS.length;
      });
      // A day missing from the DA history (the app was down) is filled at the next start, prices and load.
      const gap = addDays(operatingDate("PJM", Date.now()), -40);
      const [gs, ge] = localDayBounds("America/New_York", gap);
      await p.db.query(
        `DELETE FROM market_prices WHERE zone = 'PJM' AND market = 'DA' AND interval_start >= $1 AND interval_start < $2`,
        [new Date(gs), new Date(ge)],
      );
      await p.db.query(`DELETE FROM market_load WHERE zone = 'PJM' AND interval_start >= $1 AND interval_start < $2`, [
        new Date(gs),
        new Date(ge),
      ]);
      // A second start finds prices and does not backfill again.
      const before = p.committed();
      const again = startFeed({ config, db: () => p.db, queue: p.queue, sinks: p.sinks });
      await again.ready;
      const [{ n }] = await p.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_prices`);
      assert.ok(p.committed() - before < 7 * 100, "no second backfill");
      const [{ refilled }] = await p.db.query<{ refilled: number }>(
        `SELECT (SELECT count(*) FROM market_prices WHERE zone = 'PJM' AND market = 'DA' AND interval_start >= $1
                   AND interval_start < $2) + (SELECT count(*) FROM market_load WHERE zone = 'PJM'
                   AND interval_start >= $1 AND interval_start < $2 AND forecast_mw IS NOT NULL) AS refilled`,
        [new Date(gs), new Date(ge)],
      );
      assert.equal(Number(refilled), 2 * (ge - gs) / 3_600_000, "the missing day's DA prices and load are back");
      assert.ok(n > rt);
      await again.stop();
      // RT prices missing at the end (a fill cut short, or the app down for hours) are filled at the next start, as
      // history: the last six hours of every zone.
      const cut = new Date(Date.now() - 6 * 3_600_000);
      const [{ removed }] = await p.db.query<{ removed: number }>(
        `WITH d AS (DELETE FROM market_prices WHERE market = 'RT' AND interval_start >= $1 RETURNING 1)
         SELECT count(*)::int AS removed FROM d`,
        [cut],
      );
      assert.ok(removed >= 7 * 60, `removed ${removed}`);
      const [history, news] = [p.history(), p.committed()];
      const third = startFeed({ config, db: () => p.db, queue: p.queue, sinks: p.sinks });
      await third.ready;
      const [{ back }] = await p.db.query<{ back: number }>(
        `SELECT count(*)::int AS back FROM market_prices WHERE market = 'RT' AND interval_start >= $1`,
        [cut],
      );
      assert.ok(back >= removed, `the gap is filled (${back} of ${removed})`);
      assert.ok(p.history() - history >= removed, "as history");
      assert.ok(p.committed() - news < 7 * 100, "not as news");
      await third.stop();
      await feed.stop();
      assert.ok(operatingDate("PJM", Date.now()));
    } finally {
      await p.close();
    }
  },
);

/** `db` with its first query failing (after `before`), as when the database goes away mid-statement. */
function failingFirstQuery(db: Database, before?: (db: Database) => Promise<void>) {
  let failures = 1;
  const flaky = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "query") {
        return async (...args: Parameters<typeof target.query>) => {
          if (failures-- > 0) {
            await before?.(target);
            throw new Error("write CONNECTION_CLOSED");
          }
          return await target.query(...args);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { db: flaky, failed: () => failures < 0 };
}

/** A simulator feed writing a day of RT history through `db`, once its history is done; the RT rows stored. */
async function historyThrough(p: Awaited<ReturnType<typeof pipeline>>, db: Database, daHistoryDays: number) {
  const config = loadConfig({
    MARKET_SOURCE: "simulator",
    MARKET_BACKFILL_DAYS: "1",
    MARKET_DA_HISTORY_DAYS: String(daHistoryDays),
    MARKET_SEED: "3",
  });
  const feed = startFeed({ config, db: () => db, queue: p.queue, sinks: { ...p.sinks, db: () => db } });
  await feed.ready;
  const [{ rt }] = await p.db.query<{ rt: number }>(
    `SELECT count(*)::int AS rt FROM market_prices WHERE market = 'RT'`,
  );
  return { feed, rt };
}

Deno.test("simulator feed: a history fill the database broke off is retried until done", opts, async () => {
  const p = await pipeline();
  try {
    // The database goes away during the first attempt's first statement, then comes back.
    const flaky = failingFirstQuery(p.db);
    const { feed, rt } = await historyThrough(p, flaky.db, 2);
    assert.ok(flaky.failed(), "the first attempt failed");
    assert.ok(rt >= 7 * 288 - 7 * 12, `a day of 5-minute prices for 7 zones after the retry (${rt})`);
    await feed.stop();
  } finally {
    await p.close();
  }
});

Deno.test(
  "simulator feed: a live price stored before the retry does not hide the hole a failed fill left",
  opts,
  async () => {
    const p = await pipeline();
    try {
      // The first attempt fails; before its retry, the live feed has stored the interval that just ended (as it
      // does when a 5-minute boundary falls in the retry's wait): the stored history's newest interval is now.
      const flaky = failingFirstQuery(p.db, async (db) => {
        const end = new Date(Math.floor(Date.now() / 300_000) * 300_000);
        const start = new Date(end.getTime() - 300_000);
        const live = ISOS.map((zone) => ({
          zone,
          market: "RT" as const,
          interval_start: start.toISOString(),
          interval_end: end.toISOString(),
          lmp: 30,
          energy: 30,
          congestion: 0,
          loss: 0,
        }));
        await writeTicks(db, live, "simulator");
      });
      const { feed, rt } = await historyThrough(p, flaky.db, 0);
      assert.ok(flaky.failed(), "the first attempt failed");
      assert.ok(
        rt >= 7 * 288 - 7 * 12,
        `a day of 5-minute prices for 7 zones after the retry, not just the live one (${rt})`,
      );
      await feed.stop();
    } finally {
      await p.close();
    }
  },
);

serviceTest("replay feed: the PJM real-time file goes through the bus into the store", ["shared-data"], async () => {
  const p = await pipeline();
  try {
    const file = `${testServices.sharedData}/pjm_rt_hrl_lmps_2025-05_2025-07.csv`;
    const config = loadConfig({ MARKET_SOURCE: "replay", MARKET_REPLAY_FILE: file, MARKET_REPLAY_SPEED: "1000000" });
    const feed = startFeed({ config, db: () => p.db, queue: p.queue, sinks: p.sinks });
    // One hub: 2,209 hours (May–July 2025).
    await until(async () => {
      const [{ n }] = await p.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_prices`);
      return n >= 2209;
    }, 60_000);
    const [row] = await p.db.query<{ zone: string; market: string; first: Date; last: Date; n: number }>(
      `SELECT zone, market, min(interval_start) AS first, max(interval_start) AS last, count(*)::int AS n
         FROM market_prices GROUP BY zone, market`,
    );
    assert.equal(row.zone, "PJM");
    assert.equal(row.market, "RT");
    assert.equal(row.n, 2209);
    assert.equal(row.first.toISOString(), "2025-05-01T04:00:00.000Z");
    // Every hub's real price goes to location_prices: 12 hubs × 2,209 hours, named as virtual bids name them.
    await until(async () => {
      const [{ n }] = await p.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM location_prices`);
      return n >= 12 * 2209;
    }, 60_000);
    const hubs = await p.db.query<{ location: string; n: number }>(
      `SELECT location, count(*)::int AS n FROM location_prices WHERE zone = 'PJM' AND market = 'RT'
        GROUP BY location ORDER BY location`,
    );
    assert.deepEqual(hubs.map((h) => h.location), VIRTUAL_RULES.PJM!.locations.map((l) => l.name).sort());
    assert.ok(hubs.every((h) => h.n === 2209));
    // The file's first rows: EASTERN HUB 24.065135 (also the replayed zone price), WESTERN HUB 24.784737.
    const first = await p.db.query<{ location: string; lmp: number }>(
      `SELECT location, lmp::float8 AS lmp FROM location_prices WHERE interval_start = '2025-05-01T04:00:00Z'
          AND location IN ('EASTERN HUB', 'WESTERN HUB') ORDER BY location`,
    );
    assert.deepEqual(first, [{ location: "EASTERN HUB", lmp: 24.0651 }, { location: "WESTERN HUB", lmp: 24.7847 }]);
    await feed.stop();
  } finally {
    await p.close();
  }
});
