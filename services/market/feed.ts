/**
 * The price source that runs inside the app (MARKET_SOURCE):
 * - simulator: on a first start (no prices yet) it writes MARKET_BACKFILL_DAYS of
 *   history straight to the store, so every page has data at once (at later starts, the RT
 *   intervals missed since the newest one stored, within that window); at every start it
 *   fills the DA prices and load missing in the last MARKET_DA_HISTORY_DAYS (what the
 *   forecast job recalibrates on). Then at each 5-minute boundary it publishes the RT prices of the interval that just ended,
 *   and each zone's next-day DA prices once that zone's results time has passed
 *   (re-publishing is harmless: ingest is an upsert), all through the bus. Load is not
 *   a price and goes to market_load directly: the day-ahead forecast of the next day
 *   with each DA publication (known before that day's gate), actuals hourly. Every zone
 *   price comes with the prices of the zone's virtual-bid locations (hub_basis.ts), written
 *   the same way and at the same time, into location_prices.
 * - replay: plays MARKET_REPLAY_FILE through the bus at MARKET_REPLAY_SPEED; the file's
 *   other locations (a PJM hub file's other hubs) go to location_prices with each step.
 * - off: nothing (tests, or an instance that only serves).
 * Nothing here blocks start-up; failures are logged and retried at the next tick.
 */
import type { Config } from "../config/env.ts";
import type { Database } from "../../db/database.ts";
import { log } from "../log/logger.ts";
import type { Queue } from "../queue/queue.ts";
import { applyBatch, type IngestSinks, publishTicks } from "./ingest.ts";
import { VIRTUAL_RULES } from "../bids/virtual_rules.ts";
import { hubPrices } from "./hub_basis.ts";
import { writeLocationPrices } from "./location_store.ts";
import { backfill, simulateDayAhead, simulateLoad, simulateRealTime } from "./simulator.ts";
import { rtHistoryEnd, writeTicks } from "./store.ts";
import { writeLoad } from "./load_store.ts";
import { TICK_BATCH_VERSION } from "./types.ts";
import { daResultsUtc, type Iso, ISOS, operatingDate, ZONES } from "./zones.ts";
import { addDays, localDayBounds } from "./clock.ts";
import type { LoadPoint, LocationPrice, PriceTick } from "./types.ts";

const RT_MS = 5 * 60_000;
/** Waits between attempts at the start-up history while it fails (the last one repeats). */
const HISTORY_RETRY_MS = [2_000, 5_000, 15_000, 60_000];

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
const HOUR_MS = 3_600_000;

export interface Feed {
  stop(): Promise<void>;
  /** Resolves when the first-start backfill is done (or was not needed). */
  ready: Promise<void>;
}

export function startFeed(opts: {
  config: Pick<Config, "market">;
  db: () => Database;
  queue: Queue;
  sinks: IngestSinks;
  now?: () => number;
}): Feed {
  const { market } = opts.config;
  const now = opts.now ?? Date.now;
  const controller = new AbortController();
  if (market.source === "off") return { stop: () => Promise.resolve(), ready: Promise.resolve() };
  if (market.source === "replay") {
    const done = runReplay(opts, controller.signal).catch((e) => log.error("replay failed", { error: String(e) }));
    return {
      ready: Promise.resolve(),
      async stop() {
        controller.abort();
        await done;
      },
    };
  }

  const published = new Set<string>(); // "zone|date" of DA days already sent by this process
  /**
   * The history at start: the RT prices missing since the newest stored interval (all of
   * MARKET_BACKFILL_DAYS on a first start; after an interrupted fill or days the app was down, the gap),
   * then the DA history, then today's DA. A failure (the database went away mid-fill) is retried with
   * backoff until it succeeds, so a history cut short is finished rather than left with a hole forever.
   *
   * Only the first attempt reads where the stored history ends: live prices start after it, and once one is
   * stored the newest interval is the live one, past the hole a failed fill left. A retry fills the whole span
   * again (upserts: what is there already stays as it is).
   */
  async function fillHistory(first: boolean) {
    if (market.backfillDays > 0) {
      const resume = first ? await rtHistoryEnd(opts.db(), ISOS) : null;
      const t0 = performance.now();
      let n = 0;
      for (const ticks of backfill(ISOS, market.backfillDays, new Date(now()), market.seed, resume ?? undefined)) {
        if (controller.signal.aborted) return;
        await applyBatch(opts.sinks, {
          v: TICK_BATCH_VERSION,
          source: "simulator",
          ticks,
          locations: hubPrices(ticks, market.seed),
        }, { history: true });
        n += ticks.length;
      }
      if (n) {
        log.info(resume ? "market history gap filled" : "market history backfilled", {
          ticks: n,
          days: market.backfillDays,
          ...(resume ? { from: resume.toISOString() } : {}),
          ms: Math.round(performance.now() - t0),
        });
      }
    }
    if (market.daHistoryDays > 0) await fillDayAheadHistory();
    await publishDayAhead();
  }
  /** After a failed fill: again, with backoff, until one succeeds or the feed stops. */
  async function retryHistory(error: unknown): Promise<void> {
    for (let attempt = 0; !controller.signal.aborted; attempt++) {
      const retryMs = HISTORY_RETRY_MS[Math.min(attempt, HISTORY_RETRY_MS.length - 1)];
      log.error("market backfill failed", { error: error instanceof Error ? error.message : String(error), retryMs });
      await abortableSleep(retryMs, controller.signal);
      if (controller.signal.aborted) return;
      try {
        return await fillHistory(false);
      } catch (e) {
        error = e;
      }
    }
  }
  const firstAttempt = fillHistory(true);
  const ready = firstAttempt.catch(retryHistory);

  /**
   * DA prices and load of every day in [today − daHistoryDays, today) that lacks them (a first start, a database
   * from before load existed, days the app was down), straight to the store: history is not news for the live
   * screens. The last few days' load again too, for the actuals of hours missed while down. Idempotent upserts:
   * a crash midway is finished by the next start.
   */
  async function fillDayAheadHistory() {
    const t = now();
    const db = opts.db();
    let rows = 0;
    for (const zone of ISOS) {
      if (controller.signal.aborted) return;
      const today = operatingDate(zone, t);
      const want = addDays(today, -market.daHistoryDays);
      const since = new Date(localDayBounds(ZONES[zone].timeZone, want)[0]);
      const perDay = async (sql: string) => {
        const counts = new Map<string, number>();
        for (const r of await db.query<{ s: Date }>(sql, [zone, since])) {
          const d = operatingDate(zone, r.s);
          counts.set(d, (counts.get(d) ?? 0) + 1);
        }
        return counts;
      };
      const da = await perDay(
        `SELECT interval_start AS s FROM market_prices WHERE zone = $1 AND market = 'DA' AND interval_start >= $2`,
      );
      const load = await perDay(
        `SELECT interval_start AS s FROM market_load WHERE zone = $1 AND interval_start >= $2 AND forecast_mw IS NOT NULL`,
      );
      // Hub prices are counted apart (a database from before they were simulated has the zone's prices only), and
      // only over the backfill window: virtual bids need recent hub prices, the forecast job none at all.
      const hubSince = addDays(today, -Math.max(1, market.backfillDays));
      const hubs = await perDay(
        `SELECT DISTINCT interval_start AS s FROM location_prices
          WHERE zone = $1 AND market = 'DA' AND interval_start >= $2`,
      );
      const hasHubs = (VIRTUAL_RULES[zone]?.locations.length ?? 0) > 0;
      const ticks: PriceTick[] = [], hubTicks: PriceTick[] = [], points: LoadPoint[] = [];
      for (let date = want; date <= addDays(today, 1); date = addDays(date, 1)) {
        const [start, end] = localDayBounds(ZONES[zone].timeZone, date);
        const hours = (end - start) / HOUR_MS;
        const needDa = date < today && (da.get(date) ?? 0) < hours;
        const needHubs = hasHubs && date < today && date >= hubSince && (hubs.get(date) ?? 0) < hours;
        if (needDa || needHubs) {
          const day = simulateDayAhead(zone, date, market.seed);
          if (needDa) ticks.push(...day);
          if (needHubs) hubTicks.push(...day);
        }
        if ((load.get(date) ?? 0) < hours || date >= addDays(today, -3)) {
          points.push(...simulateLoad(zone, date, market.seed, t));
        }
      }
      await db.transaction(async (tx) => {
        await writeTicks(tx, ticks, "simulator");
        await writeLocationPrices(tx, hubPrices(hubTicks, market.seed));
      });
      await writeLoad(db, points, "simulator");
      rows += ticks.length;
    }
    if (rows) log.info("DA history filled", { ticks: rows, days: market.daHistoryDays });
  }

  async function publishDayAhead() {
    const t = now();
    const ticks = [];
    const load: LoadPoint[] = [];
    for (const zone of ISOS) {
      const today = operatingDate(zone, t);
      for (const date of [today, addDays(today, 1)]) {
        const key = `${zone}|${date}`;
        if (published.has(key) || daResultsUtc(zone, date).getTime() > t) continue;
        ticks.push(...simulateDayAhead(zone as Iso, date, market.seed));
        // The next day's load forecast comes out with these results: a day before its own gate.
        load.push(...simulateLoad(zone, date, market.seed, t), ...simulateLoad(zone, addDays(date, 1), market.seed, t));
        published.add(key);
      }
    }
    if (load.length) await writeLoad(opts.db(), load, "simulator");
    if (ticks.length) await publishTicks(opts.queue, ticks, "simulator", hubPrices(ticks, market.seed));
  }

  async function onBoundary() {
    const end = Math.floor(now() / RT_MS) * RT_MS;
    const ticks = ISOS.flatMap((zone) => simulateRealTime(zone, new Date(end - RT_MS), new Date(end), market.seed));
    await publishTicks(opts.queue, ticks, "simulator", hubPrices(ticks, market.seed));
    if (end % HOUR_MS === 0) {
      // The hour that just ended has its actual load now.
      const actual = ISOS.flatMap((zone) => simulateLoad(zone, operatingDate(zone, end - 1), market.seed, end));
      await writeLoad(opts.db(), actual, "simulator");
    }
    await publishDayAhead();
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    const wait = RT_MS - (now() % RT_MS) + 50;
    timer = setTimeout(async () => {
      try {
        await onBoundary();
      } catch (e) {
        log.warn("market feed tick failed", { error: e instanceof Error ? e.message : String(e) });
      }
      if (!controller.signal.aborted) schedule();
    }, wait);
  };
  // Live prices do not wait for a history that keeps failing: they start after the first attempt.
  firstAttempt.catch(() => {}).then(() => !controller.signal.aborted && schedule());

  return {
    ready,
    async stop() {
      controller.abort();
      clearTimeout(timer);
      await ready;
    },
  };
}

async function runReplay(
  opts: { config: Pick<Config, "market">; queue: Queue; db: () => Database },
  signal: AbortSignal,
) {
  const { replayFile, replaySpeed } = opts.config.market;
  const { readReplayFile, replaySchedule } = await import("./replay.ts");
  // A file's load columns: stored as they are read (the schedule runs ahead of its delays by at most one step).
  let load: LoadPoint[] = [];
  const onLoad = (p: LoadPoint) => void load.push(p);
  // Its other locations' prices wait for the step of their interval: a replay never publishes ahead of its clock.
  let pending: LocationPrice[] = [];
  const onLocationPrice = (p: LocationPrice) => void pending.push(p);
  for await (const step of replaySchedule(readReplayFile(replayFile!, { onLoad, onLocationPrice }), replaySpeed)) {
    if (signal.aborted) return;
    if (step.delayMs > 0) await new Promise((r) => setTimeout(r, step.delayMs));
    if (load.length) {
      const points = load;
      load = [];
      await writeLoad(opts.db(), points, "replay");
    }
    const due = pending.filter((p) => p.interval_start <= step.at);
    if (due.length) pending = pending.filter((p) => p.interval_start > step.at);
    await publishTicks(opts.queue, step.ticks, "replay", due);
  }
  if (load.length) await writeLoad(opts.db(), load, "replay");
  if (pending.length) await publishTicks(opts.queue, [], "replay", pending);
  log.info("replay finished", { file: replayFile });
}
