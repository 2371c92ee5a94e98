/**
 * The bidding capability wired to the app: the outbox relay (bid events to
 * Kafka `bids.events`, else the Deno KV queue) and the clearing/settlement job.
 */
import type { Database } from "../../db/database.ts";
import type { Queue } from "../queue/queue.ts";
import { BID_EVENTS_TOPIC, startOutboxRelay } from "./outbox.ts";
import { startClearingJob } from "./clearing_job.ts";
import { startOutboxRetention } from "./outbox_retention.ts";
import { type BidWriter, createBidWriter } from "./writer.ts";
import { expirePending } from "./approval.ts";
import { log } from "../log/logger.ts";

/** How often bids still pending approval are checked against their gate. */
const EXPIRY_EVERY_MS = 30_000;

export interface BidsService {
  /** Creates drafts, coalescing concurrent creations into shared statements. */
  readonly writer: BidWriter;
  /** A change committed: relay its events now rather than at the next tick. */
  kick(): void;
  /** Clear and settle what the prices in the database allow, now. */
  clearNow(): Promise<void>;
  /** Prices were committed: clear soon (a burst of batches is one clearing pass, not one each). */
  pricesArrived(): void;
  /** Bids still pending approval at their gate expire now; resolves with their ids. */
  expireNow(): Promise<string[]>;
  start(): void;
  stop(): Promise<void>;
}

/** What the market did with a bid, told to its organization's screens as it happens. */
export interface BidNotice {
  orgId: string;
  status: string;
  bidId: string;
  details: Record<string, unknown>;
}

const NOTIFY = new Set(["cleared", "rejected", "settled"]);

export function createBids(deps: {
  db: () => Database;
  queue: Queue;
  notify?: (n: BidNotice) => void;
}): BidsService {
  let relay: ReturnType<typeof startOutboxRelay> | null = null;
  let clearing: ReturnType<typeof startClearingJob> | null = null;
  let retention: ReturnType<typeof startOutboxRetention> | null = null;
  let soon: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe: (() => Promise<void>) | null = null;
  let expiry: ReturnType<typeof setInterval> | undefined;
  let expiring: Promise<string[]> | null = null;
  const expireNow = () => {
    expiring ??= expirePending(deps.db(), new Date()).then((ids) => {
      if (ids.length) relay?.kick();
      return ids;
    }).finally(() => (expiring = null));
    return expiring;
  };
  return {
    writer: createBidWriter(deps.db),
    kick: () => relay?.kick(),
    clearNow: async () => {
      await clearing?.run();
    },
    pricesArrived() {
      soon ??= setTimeout(() => {
        soon = undefined;
        void clearing?.run();
      }, 200);
    },
    expireNow,
    start() {
      expiry = setInterval(() => {
        expireNow().catch((e) => log.warn("approval expiry pass failed", { error: String(e) }));
      }, EXPIRY_EVERY_MS);
      clearing = startClearingJob({ db: deps.db, onChange: () => relay?.kick() });
      retention = startOutboxRetention({ db: deps.db });
      // The bus's own consumer of bid events: clearing results go to the organization's live screens.
      unsubscribe = deps.queue.subscribe(BID_EVENTS_TOPIC, "live-status", (msg) => {
        const events = (msg.payload as { events?: unknown[] }).events ?? [];
        for (const raw of events) {
          const e = raw as { type?: string; org_id?: string; bid_id?: string; status?: string };
          if (e.org_id && e.bid_id && e.status && NOTIFY.has(e.status) && e.type === `bid.${e.status}`) {
            deps.notify?.({
              orgId: e.org_id,
              status: e.status,
              bidId: e.bid_id,
              details: e as Record<string, unknown>,
            });
          }
        }
        return Promise.resolve();
      });
      relay = startOutboxRelay({
        db: deps.db,
        // The outbox id makes a re-sent event a duplicate the consumer recognises.
        publish: (events) =>
          deps.queue.publish(events[0].topic, { events: events.map((e) => ({ id: e.id, ...e.payload })) }, {
            key: events[0].topic,
            idempotencyKey: `outbox:${events[0].id}-${events[events.length - 1].id}`,
          }),
      });
    },
    async stop() {
      clearTimeout(soon);
      clearInterval(expiry);
      await expiring?.catch(() => {});
      await clearing?.stop();
      await retention?.stop();
      await relay?.stop();
      await unsubscribe?.();
    },
  };
}
