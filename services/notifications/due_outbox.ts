/**
 * Outbox rows delivered one at a time to an external system, each on its own retry schedule (mail,
 * webhooks). A relay claims due rows by moving their `next_attempt_at` past a lease in one UPDATE … SKIP
 * LOCKED, then calls the target with no transaction open (a hung server holds no connection, which
 * matters on PGlite's single one); an instance that dies mid-delivery leaves the row due again when the
 * lease ends, so delivery is at least once. Time comes from the caller (`now`), so tests drive the
 * schedule with a fake clock. The topic is a range, not an equality, so that the rows are read along the (topic,
 * id) index of unsent rows and never along the primary key past every sent row (db/migrations/022).
 */
import type { Queryable } from "../../db/database.ts";
import { isoUtc } from "../../db/sql.ts";
import { type PassLoop, passLoop } from "../queue/pass_loop.ts";

export interface DueRow<P> {
  id: string;
  key: string;
  payload: P;
  attempts: number;
  created_at: string;
}

export async function claimDue<P>(
  q: Queryable,
  topic: string,
  o: { now: number; leaseMs: number; limit: number },
): Promise<DueRow<P>[]> {
  return await q.query<DueRow<P>>(
    `UPDATE outbox SET next_attempt_at = to_timestamp($2::double precision / 1000) + $3 * interval '1 millisecond'
      WHERE id IN (SELECT id FROM outbox
                    WHERE topic >= $1 AND topic <= $1 AND sent_at IS NULL
                      AND coalesce(next_attempt_at, created_at) <= to_timestamp($2::double precision / 1000)
                    ORDER BY topic, id LIMIT $4 FOR UPDATE SKIP LOCKED)
      RETURNING id::text AS id, key, payload, attempts, ${isoUtc("created_at")} AS created_at`,
    [topic, o.now, o.leaseMs, o.limit],
  );
}

/** Delivered, or given up on (`error` says why): the row is done either way. */
export async function finishRow(q: Queryable, id: string, now: number, error: string | null = null) {
  await q.query(
    `UPDATE outbox SET sent_at = to_timestamp($2::double precision / 1000), attempts = attempts + 1, last_error = $3
      WHERE id = $1::bigint`,
    [id, now, error?.slice(0, 500) ?? null],
  );
}

/** Failed this time: due again at `retryAt` (epoch ms). */
export async function retryRow(q: Queryable, id: string, retryAt: number, error: string) {
  await q.query(
    `UPDATE outbox SET attempts = attempts + 1, last_error = $3,
            next_attempt_at = to_timestamp($2::double precision / 1000) WHERE id = $1::bigint`,
    [id, retryAt, error.slice(0, 500)],
  );
}

/** The loop every such relay runs (queue/pass_loop.ts); a pass returns how many rows it took, a full batch means more. */
export function startDueRelay(pass: () => Promise<number>, everyMs: number, onError: (e: unknown) => void): PassLoop {
  return passLoop({ pass: async () => (await pass()) > 0, everyMs, onError });
}
