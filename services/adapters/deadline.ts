/**
 * A request's time budget for database work (time waiting on the database, not computing). The HTTP server opens a
 * scope per request
 * (`withDeadline`); the Postgres adapter bounds every query and transaction it runs inside
 * that scope by what is left of it, so an outage answers 503 within the budget however many
 * queries a route makes, and however long postgres.js would keep a query queued for a
 * connection (its `connect_timeout` bounds one attempt, not the wait).
 *
 * Work outside any scope (background jobs, migrations, the work of a WebSocket after its
 * upgrade) is not bounded here: it has no client waiting, and it retries on its own.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { DomainError } from "../errors.ts";

/** How long a request may wait for the database in all, a margin under the 5 s a client is promised. */
export const REQUEST_DATABASE_BUDGET_MS = 4_500;

interface Scope {
  budget: number;
  /** Time spent in database work so far, overlapping calls counted once. */
  spent: number;
  /** Database calls in flight, and since when at least one has been. */
  active: number;
  since: number;
  /** Closed once the response is produced: later work in the same async context (a stream, a socket) is not the request's. */
  open: boolean;
}

const scopes = new AsyncLocalStorage<Scope>();

export async function withDeadline<T>(budgetMs: number, fn: () => Promise<T> | T): Promise<T> {
  const scope: Scope = { budget: budgetMs, spent: 0, active: 0, since: 0, open: true };
  try {
    return await scopes.run(scope, fn);
  } finally {
    scope.open = false;
  }
}

/**
 * Milliseconds left of the current request's budget; `null` outside a request. Only time waiting on the
 * database counts: a request that first spends a second hashing a password on a busy machine still has
 * its whole budget for its queries.
 */
export function remainingMs(): number | null {
  const s = scopes.getStore();
  if (!s?.open) return null;
  return s.budget - s.spent - (s.active ? performance.now() - s.since : 0);
}

/** Marks the start of a database call in the current request; the function returned marks its end (once). */
export function databaseWork(): () => void {
  const s = scopes.getStore();
  if (!s?.open) return () => {};
  if (s.active++ === 0) s.since = performance.now();
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    if (--s.active === 0) s.spent += performance.now() - s.since;
  };
}

/** The database did not answer within the request's budget: a 503 the client may retry. */
export class DatabaseDeadlineError extends DomainError {
  constructor() {
    super("unavailable", "The database did not answer in time; retry in a few seconds", {
      code: "database_unavailable",
      retryAfter: 2,
    });
    this.name = "DatabaseDeadlineError";
  }
}

/**
 * Settles like `work`, or rejects with DatabaseDeadlineError when the request's budget runs out
 * first (then `onExpired` is called, to cancel what can be cancelled). Outside a request: `work`.
 * Once `settling()` is true the budget no longer applies: `work` has reached a point whose outcome
 * the client must be told (a COMMIT sent), so it is awaited however long it takes.
 */
export function bounded<T>(work: Promise<T>, onExpired?: () => void, settling?: () => boolean): Promise<T> {
  const left = remainingMs();
  if (left === null) return work;
  if (left <= 0) {
    work.catch(() => {});
    onExpired?.();
    return Promise.reject(new DatabaseDeadlineError());
  }
  const end = databaseWork();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (settling?.()) return;
      end();
      work.catch(() => {}); // settles later, unobserved
      onExpired?.();
      reject(new DatabaseDeadlineError());
    }, left);
    work.then((v) => {
      end();
      clearTimeout(timer);
      resolve(v);
    }, (e) => {
      end();
      clearTimeout(timer);
      reject(e);
    });
  });
}
