/**
 * Coalesces concurrent bid creations into one statement (services/coalesce.ts):
 * requests that arrive together share one INSERT (and one commit), so a burst of
 * submissions costs the database a handful of statements, not one each. Every
 * caller still gets its own committed row before its 2xx; if the shared
 * statement fails, each bid is retried alone, so one caller's problem (a
 * concurrently deleted asset) is never another's error.
 */
import type { Database } from "../../db/database.ts";
import { coalesce } from "../coalesce.ts";
import type { CheckedBid } from "./schema.ts";
import { type BidView, type Creator, insertBid, insertBids } from "./store.ts";

type NewBid = { p: Creator; bid: CheckedBid };

const MAX_BATCH = 256;

export function createBidWriter(db: () => Database) {
  const write = coalesce<NewBid, BidView>({
    together: (items) => insertBids(db(), items),
    alone: (item) => insertBid(db(), item.p, item.bid),
    max: MAX_BATCH,
  });
  return {
    insert: (p: Creator, bid: CheckedBid): Promise<BidView> => write({ p, bid }),
  };
}

export type BidWriter = ReturnType<typeof createBidWriter>;
