/**
 * Coalesces concurrent bid creations into one statement: requests that arrive
 * within a millisecond of each other share one INSERT (and one commit), so a
 * burst of submissions costs the database a handful of statements, not one
 * each. Every caller still gets its own committed row before its 2xx. If the
 * shared statement fails, each bid is retried alone, so one caller's problem
 * (a concurrently deleted asset) is never another's error.
 */
import type { Database } from "../../db/database.ts";
import type { Principal } from "../auth/principal.ts";
import type { BidInput } from "./schema.ts";
import { type BidView, insertBid, insertBids } from "./store.ts";

interface Pending {
  p: Principal;
  bid: BidInput & { interval_end: string };
  resolve: (v: BidView) => void;
  reject: (e: unknown) => void;
}

const MAX_BATCH = 256;

export function createBidWriter(db: () => Database) {
  let queue: Pending[] = [];
  let scheduled = false;

  async function flush() {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (!batch.length) return;
    // Every failure ends in the callers' promises: `db()` itself throws while the database is
    // being reconnected, and an unhandled rejection here would take the process down.
    const alone = (item: Pending) =>
      Promise.resolve().then(() => insertBid(db(), item.p, item.bid)).then(item.resolve, item.reject);
    if (batch.length === 1) return await alone(batch[0]);
    try {
      const rows = await insertBids(db(), batch);
      batch.forEach((item, i) => item.resolve(rows[i]));
    } catch {
      await Promise.all(batch.map(alone));
    }
  }

  return {
    insert(p: Principal, bid: BidInput & { interval_end: string }): Promise<BidView> {
      return new Promise<BidView>((resolve, reject) => {
        queue.push({ p, bid, resolve, reject });
        if (queue.length >= MAX_BATCH) flush().catch(() => {});
        else if (!scheduled) {
          scheduled = true;
          // After the requests already in this turn of the event loop have queued theirs.
          setTimeout(() => flush().catch(() => {}), 0);
        }
      });
    },
  };
}

export type BidWriter = ReturnType<typeof createBidWriter>;
