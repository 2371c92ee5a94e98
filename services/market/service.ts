/**
 * The market-data capability wired to the app: the ingest consumer, the price
 * feed, the ClickHouse relay, and latest prices for the API and the hub.
 * Starts after the required services are up; never blocks the server.
 */
import type { ClickhouseAdapter } from "../adapters/clickhouse.ts";
import type { Cache } from "../cache/cache.ts";
import type { Config } from "../config/env.ts";
import type { HealthRegistry } from "../health/registry.ts";
import { log } from "../log/logger.ts";
import type { Queue, Unsubscribe } from "../queue/queue.ts";
import type { Database } from "../../db/database.ts";
import { ensureClickhouseTable, syncToClickhouse } from "./clickhouse_store.ts";
import { type Feed, startFeed } from "./feed.ts";
import { latestFromCache, startConsumer } from "./ingest.ts";
import { latestTicks } from "./store.ts";
import type { PriceTick } from "./types.ts";
import type { Iso } from "./zones.ts";

const RELAY_EVERY_MS = 5_000;

export interface MarketService {
  /** Changes whenever this instance commits prices: a key for caches of what pages show. */
  version(): number;
  latest(zones: readonly Iso[]): Promise<PriceTick[]>;
  /** Resolves when the feed's first-start backfill is done. */
  ready(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function createMarket(deps: {
  config: Pick<Config, "market">;
  db: () => Database;
  cache: Cache;
  queue: Queue;
  registry: HealthRegistry;
  clickhouse: ClickhouseAdapter;
  onCommitted: (ticks: PriceTick[]) => void;
}): MarketService {
  let unsubscribe: Unsubscribe | null = null;
  let feed: Feed | null = null;
  let relay: ReturnType<typeof setInterval> | undefined;
  let relaying: Promise<void> | null = null;
  let tableReady = false;
  let version = 0;

  async function relayOnce() {
    const client = deps.clickhouse.client();
    if (!client || deps.registry.state("clickhouse")?.status !== "available") return;
    try {
      if (!tableReady) {
        await ensureClickhouseTable(client);
        tableReady = true;
      }
      const n = await syncToClickhouse(deps.db(), client);
      if (n) log.debug("copied prices to ClickHouse", { rows: n });
    } catch (e) {
      log.warn("ClickHouse relay failed; retrying", { error: e instanceof Error ? e.message : String(e) });
    }
  }

  return {
    async latest(zones) {
      const cached = await latestFromCache(deps.cache, zones);
      if (cached.length >= zones.length * 2) return cached;
      const have = new Set(cached.map((t) => `${t.zone}${t.market}`));
      return [...cached, ...(await latestTicks(deps.db(), zones)).filter((t) => !have.has(`${t.zone}${t.market}`))];
    },
    ready: () => feed?.ready ?? Promise.resolve(),
    version: () => version,
    start() {
      const sinks = {
        db: deps.db,
        cache: deps.cache,
        onCommitted: (ticks: PriceTick[]) => {
          version++;
          deps.onCommitted(ticks);
        },
        // Pages cached on the version must still see the backfilled history.
        onHistory: () => void version++,
      };
      unsubscribe = startConsumer(deps.queue, sinks);
      feed = startFeed({ config: deps.config, db: deps.db, queue: deps.queue, sinks });
      relay = setInterval(() => {
        relaying ??= relayOnce().finally(() => (relaying = null));
      }, RELAY_EVERY_MS);
    },
    async stop() {
      clearInterval(relay);
      await relaying;
      await feed?.stop();
      await unsubscribe?.();
    },
  };
}
