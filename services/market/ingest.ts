/**
 * The ingest pipeline: source → bus (Kafka topic `market_data.<zone>`, or the
 * Deno KV queue) → consumer → market_prices (and ClickHouse when configured) →
 * latest-price cache → realtime hub. Hub/location prices ride in the same batches (`locations`) and land in
 * location_prices in the same transaction.
 *
 * A batch is applied in one transaction (never half-applied: db/upsert.ts, COPY on
 * Postgres) and is an upsert, so a redelivered batch changes nothing. The consumer publishes to the hub only
 * after the write committed: a client never sees a price the database lost.
 */
import type { Database } from "../../db/database.ts";
import type { Cache } from "../cache/cache.ts";
import { coalesce } from "../coalesce.ts";
import { log } from "../log/logger.ts";
import type { Queue, Unsubscribe } from "../queue/queue.ts";
import { sha256Hex } from "../crypto/sha256.ts";
import type { LocationPrice, Market, PriceTick, TickBatch } from "./types.ts";
import { PACK_LIMITS, packBatches, readTickBatch } from "./packed.ts";
import { WRITE_CHUNK, writeTicks } from "./store.ts";
import { writeLocationPrices } from "./location_store.ts";
import { type Iso, ISOS } from "./zones.ts";

export const topicOf = (zone: Iso) => `market_data.${zone}`;
export const latestKey = (zone: Iso, market: Market) => `latest:${zone}:${market}`;
const LATEST_TTL_MS = 7 * 24 * 3600_000;

/**
 * Rows per bus message: Deno KV values are ≤ 64 KiB, Kafka takes larger ones (services/market/packed.ts
 * bounds a message's size whatever its values).
 */
export function batchSizeFor(backend: "kafka" | "kv"): number {
  return PACK_LIMITS[backend].rows;
}

export interface IngestSinks {
  db: () => Database;
  cache: Cache;
  /** Called with ticks once they are committed: news for the live screens, alerts and bids. */
  onCommitted?: (ticks: PriceTick[]) => void;
  /** Called instead of onCommitted for history (a first start's backfill): stored, not news. */
  onHistory?: (ticks: PriceTick[]) => void;
  /** Optional second store (ClickHouse); failures are logged and never fail the batch. */
  mirror?: (ticks: PriceTick[]) => Promise<void>;
}

/**
 * Splits ticks (and location prices) by zone and into bus-sized batches, keyed by zone (one partition per zone
 * keeps order). A zone's location prices follow its ticks in batches of their own.
 */
export async function publishTicks(
  queue: Queue,
  ticks: PriceTick[],
  source: string,
  locations: readonly LocationPrice[] = [],
): Promise<number> {
  const byZone = new Map<Iso, { ticks: PriceTick[]; locations: LocationPrice[] }>();
  const of = (zone: Iso) => {
    let e = byZone.get(zone);
    if (!e) byZone.set(zone, e = { ticks: [], locations: [] });
    return e;
  };
  for (const t of ticks) of(t.zone).ticks.push(t);
  for (const p of locations) of(p.zone).locations.push(p);
  const limits = PACK_LIMITS[queue.backend()];
  let messages = 0;
  for (const [zone, list] of byZone) {
    for (const batch of packBatches(zone, source, list.ticks, list.locations, limits)) {
      // The same ticks from the same source always get the same key: a re-publish is a duplicate, not news.
      const idempotencyKey = await sha256Hex(`${zone}|${JSON.stringify(batch)}`);
      await queue.publish(topicOf(zone), batch, { key: zone, idempotencyKey });
      messages++;
    }
  }
  return messages;
}

/**
 * Applies one batch: store, mirror, latest cache, then the hub. History (`history: true`) is not sent to the
 * hub: a day of backfill pushed to screens that just connected is a flood that tells them nothing.
 */
export async function applyBatch(
  sinks: IngestSinks,
  batch: TickBatch,
  opts: { history?: boolean } = {},
): Promise<void> {
  const locations = batch.locations ?? [];
  if (!locations.length) await writeTicks(sinks.db(), batch.ticks, batch.source);
  else {
    // One transaction: a batch is never half-applied, zone prices and hub prices alike.
    await sinks.db().transaction(async (tx) => {
      if (batch.ticks.length) await writeTicks(tx, batch.ticks, batch.source);
      await writeLocationPrices(tx, locations);
    });
  }
  if (!batch.ticks.length) return;
  if (sinks.mirror) {
    await sinks.mirror(batch.ticks).catch((e) =>
      log.warn("price mirror write failed", { error: e instanceof Error ? e.message : String(e) })
    );
  }
  await updateLatest(sinks.cache, batch.ticks);
  if (opts.history) sinks.onHistory?.(batch.ticks);
  else sinks.onCommitted?.(batch.ticks);
}

/** Keeps the newest tick per zone and market, never moving backwards (batches can arrive out of order). */
export async function updateLatest(cache: Cache, ticks: PriceTick[]): Promise<void> {
  // By zone, then market: a batch is thousands of ticks of a handful of keys, so a key is spelled per winner,
  // not per tick.
  const newest = new Map<string, Partial<Record<Market, PriceTick>>>();
  const nowIso = new Date().toISOString();
  for (const t of ticks) {
    if (earlier(nowIso, t.interval_start)) continue; // a DA price for tomorrow is not "the latest" yet
    let markets = newest.get(t.zone);
    if (!markets) newest.set(t.zone, markets = {});
    const cur = markets[t.market];
    if (!cur || earlier(cur.interval_start, t.interval_start)) markets[t.market] = t;
  }
  for (const markets of newest.values()) {
    for (const tick of Object.values(markets)) {
      const key = latestKey(tick.zone, tick.market);
      await serially(key, async () => {
        const cur = await cache.get<PriceTick>(key);
        if (!cur || !earlier(tick.interval_start, cur.interval_start)) await cache.set(key, tick, LATEST_TTL_MS);
      });
    }
  }
}

/**
 * Whether time `a` is before time `b`. Two times spelled as `toISOString` spells them compare as text (same
 * instants, same order), which costs a fraction of parsing each of a batch's ticks; any other spelling (an
 * offset, no milliseconds) is compared by its instant.
 */
function earlier(a: string, b: string): boolean {
  return canonical(a) && canonical(b) ? a < b : Date.parse(a) < Date.parse(b);
}
const canonical = (t: string) => t.length === 24 && t.charCodeAt(10) === 84 /* T */ && t.charCodeAt(23) === 90 /* Z */;

/**
 * The bus delivers batches concurrently; a read-compare-write of one key must not interleave with
 * another, or an older batch could overwrite a newer price. One chain of promises per key.
 */
const chains = new Map<string, Promise<void>>();
function serially(key: string, fn: () => Promise<void>): Promise<void> {
  const next = (chains.get(key) ?? Promise.resolve()).then(fn, fn);
  chains.set(key, next);
  const cleanup = () => {
    if (chains.get(key) === next) chains.delete(key);
  };
  next.then(cleanup, cleanup);
  return next;
}

export async function latestFromCache(cache: Cache, zones: readonly Iso[]): Promise<PriceTick[]> {
  const keys = zones.flatMap((z) => (["RT", "DA"] as const).map((m) => latestKey(z, m)));
  const values = await Promise.all(keys.map((k) => cache.get<PriceTick>(k)));
  return values.filter((v): v is PriceTick => Boolean(v));
}

/**
 * Writes of one source in flight at a time. The hourly rollup's trigger takes one lock to commit, so more
 * writers only queue on it (the KV queue hands out ~100 messages at once: that was ~100 transactions, each
 * holding a connection); two let one COPY its rows while the other rolls up and commits, and what arrives
 * meanwhile goes in the next write, together.
 */
const INGEST_WRITERS = 2;

/**
 * `applyBatch` for batches that arrive together (services/coalesce.ts): the KV queue delivers many messages at
 * once, and the batches of one source queued in the same turn go to the database as one statement (up to
 * WRITE_CHUNK ticks), not one each. Each caller resolves only once its own ticks are committed; if a shared
 * write fails, each batch is applied alone, so one bad batch never fails the others.
 */
export function coalescedApply(sinks: IngestSinks): (batch: TickBatch) => Promise<void> {
  return coalesce<TickBatch, void>({
    together: async (batches) => {
      await applyBatch(sinks, {
        ...batches[0],
        ticks: batches.flatMap((b) => b.ticks),
        locations: batches.flatMap((b) => b.locations ?? []),
      });
      return batches.map(() => undefined);
    },
    alone: (batch) => applyBatch(sinks, batch),
    max: WRITE_CHUNK,
    size: (batch) => batch.ticks.length + (batch.locations?.length ?? 0),
    key: (batch) => batch.source,
    concurrency: INGEST_WRITERS,
  });
}

/** Subscribes the consumer to every zone's topic. */
export function startConsumer(queue: Queue, sinks: IngestSinks): Unsubscribe {
  const apply = coalescedApply(sinks);
  const subs = ISOS.map((zone) =>
    queue.subscribe(topicOf(zone), "ingest", async (msg) => {
      const parsed = readTickBatch(msg.payload);
      if ("error" in parsed) {
        // Retrying cannot fix a malformed batch; it is logged and skipped, not redelivered forever.
        log.error("malformed tick batch dropped", { topic: msg.topic, error: parsed.error.slice(0, 500) });
        return;
      }
      await apply(parsed.batch);
    })
  );
  return async () => {
    await Promise.all(subs.map((u) => u()));
  };
}
