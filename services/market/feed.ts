/**
 * The price source that runs inside the app (MARKET_SOURCE):
 * - simulator: on a first start (no prices yet) it writes MARKET_BACKFILL_DAYS of
 *   history straight to the store, so every page has data at once; then at each
 *   5-minute boundary it publishes the RT prices of the interval that just ended,
 *   and each zone's next-day DA prices once that zone's results time has passed
 *   (re-publishing is harmless: ingest is an upsert), all through the bus.
 * - replay: plays MARKET_REPLAY_FILE through the bus at MARKET_REPLAY_SPEED.
 * - off: nothing (tests, or an instance that only serves).
 * Nothing here blocks start-up; failures are logged and retried at the next tick.
 */
import type { Config } from "../config/env.ts";
import type { Database } from "../../db/database.ts";
import { log } from "../log/logger.ts";
import type { Queue } from "../queue/queue.ts";
import { applyBatch, type IngestSinks, publishTicks } from "./ingest.ts";
import { backfill, simulateDayAhead, simulateRealTime } from "./simulator.ts";
import { countTicks } from "./store.ts";
import { TICK_BATCH_VERSION } from "./types.ts";
import { daResultsUtc, type Iso, ISOS, operatingDate } from "./zones.ts";
import { addDays } from "./clock.ts";

const RT_MS = 5 * 60_000;

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
  const ready = (async () => {
    if (market.backfillDays > 0 && (await countTicks(opts.db())) === 0) {
      const t0 = performance.now();
      let n = 0;
      for (const ticks of backfill(ISOS, market.backfillDays, new Date(now()), market.seed)) {
        if (controller.signal.aborted) return;
        await applyBatch(opts.sinks, { v: TICK_BATCH_VERSION, source: "simulator", ticks });
        n += ticks.length;
      }
      log.info("market history backfilled", {
        ticks: n,
        days: market.backfillDays,
        ms: Math.round(performance.now() - t0),
      });
    }
    await publishDayAhead();
  })().catch((e) => log.error("market backfill failed", { error: e instanceof Error ? e.message : String(e) }));

  async function publishDayAhead() {
    const t = now();
    const ticks = [];
    for (const zone of ISOS) {
      const today = operatingDate(zone, t);
      for (const date of [today, addDays(today, 1)]) {
        const key = `${zone}|${date}`;
        if (published.has(key) || daResultsUtc(zone, date).getTime() > t) continue;
        ticks.push(...simulateDayAhead(zone as Iso, date, market.seed));
        published.add(key);
      }
    }
    if (ticks.length) await publishTicks(opts.queue, ticks, "simulator");
  }

  async function onBoundary() {
    const end = Math.floor(now() / RT_MS) * RT_MS;
    const ticks = ISOS.flatMap((zone) => simulateRealTime(zone, new Date(end - RT_MS), new Date(end), market.seed));
    await publishTicks(opts.queue, ticks, "simulator");
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
  ready.then(() => !controller.signal.aborted && schedule());

  return {
    ready,
    async stop() {
      controller.abort();
      clearTimeout(timer);
      await ready;
    },
  };
}

async function runReplay(opts: { config: Pick<Config, "market">; queue: Queue }, signal: AbortSignal) {
  const { replayFile, replaySpeed } = opts.config.market;
  const { readReplayFile, replaySchedule } = await import("./replay.ts");
  for await (const step of replaySchedule(readReplayFile(replayFile!), replaySpeed)) {
    if (signal.aborted) return;
    if (step.delayMs > 0) await new Promise((r) => setTimeout(r, step.delayMs));
    await publishTicks(opts.queue, step.ticks, "replay");
  }
  log.info("replay finished", { file: replayFile });
}
