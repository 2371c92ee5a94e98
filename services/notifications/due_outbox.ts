/**
 * Outbox rows delivered one at a time to an external system, each on its own retry schedule (mail,
 * webhooks). A relay claims due rows by moving their `next_attempt_at` past a lease in one UPDATE … SKIP
 * LOCKED, then calls the target with no transaction open (a hung server holds no connection, which
 * matters on PGlite's single one); an instance that dies mid-delivery leaves the row due again when the
 * lease ends, so delivery is at least once. Time comes from the caller (`now`), so tests drive the
 * schedule with a fake clock.
 */
import type { Queryable } from "../../db/database.ts";
import { isoUtc } from "../../db/sql.ts";

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
                    WHERE topic = $1 AND sent_at IS NULL
                      AND coalesce(next_attempt_at, created_at) <= to_timestamp($2::double precision / 1000)
                    ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
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

/** The loop every such relay runs: a pass at start, on a kick, and every `everyMs`; passes never overlap. */
export function startDueRelay(pass: () => Promise<number>, everyMs: number, onError: (e: unknown) => void) {
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<void> | null = null;
  let again = false;
  let soon: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const run = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          // A full batch: more may be due.
          while ((await pass()) > 0) { /* keep going */ }
        } catch (e) {
          onError(e);
        }
      } while (again);
    })().finally(() => (running = null));
    return running;
  };
  return {
    start() {
      timer = setInterval(run, everyMs);
      void run();
    },
    kick() {
      if (stopped) return;
      soon ??= setTimeout(() => {
        soon = undefined;
        void run();
      }, 30);
    },
    /** Runs a pass now and waits for it (tests). */
    runNow: run,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(soon);
      await running;
    },
  };
}
