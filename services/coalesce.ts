/**
 * Calls that arrive together run together: items queued in the same turn of the
 * event loop go to `together` in one call (one statement, one commit), so a
 * burst costs the database a handful of round trips, not one each. Every caller
 * still gets its own result, and only once its own item is done. If a shared
 * run fails, each of its items runs `alone`, so one caller's problem is never
 * another's error.
 */
export interface CoalesceOptions<T, R> {
  /** Runs items together; one result per item, in order. */
  together: (items: T[]) => Promise<R[]>;
  alone: (item: T) => Promise<R>;
  /** Queued size at which the queue runs at once rather than at the end of the turn, and the most a run holds. */
  max: number;
  /** An item's share of `max` (default 1). An item over `max` runs alone. */
  size?: (item: T) => number;
  /** Items of different keys never share a run (default: all may). */
  key?: (item: T) => string;
  /**
   * Most runs of one key at a time (default: no limit). Items that come while that many run wait, and go
   * together when one ends: for writes the database serialises anyway (a lock to commit), a few large
   * transactions instead of a crowd of small ones queued on the lock, each holding a connection.
   */
  concurrency?: number;
}

interface Queued<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export function coalesce<T, R>(opts: CoalesceOptions<T, R>): (item: T) => Promise<R> {
  const size = opts.size ?? (() => 1);
  let queue: Queued<T, R>[] = [];
  let queued = 0;
  let scheduled = false;
  const limit = opts.concurrency ?? Infinity;
  const running = new Map<string, number>();
  /** Runs of a key at its `concurrency`, held in order until one of its runs ends (not sorted again per call). */
  const waiting = new Map<string, Queued<T, R>[]>();

  // Every failure ends in the callers' promises: a sync throw (`db()` while the database reconnects)
  // included, since an unhandled rejection here would take the process down.
  const alone = (q: Queued<T, R>) => Promise.resolve().then(() => opts.alone(q.item)).then(q.resolve, q.reject);

  async function run(items: Queued<T, R>[]) {
    if (items.length === 1) return await alone(items[0]);
    try {
      const results = await opts.together(items.map((q) => q.item));
      items.forEach((q, i) => q.resolve(results[i]));
    } catch {
      await Promise.all(items.map(alone));
    }
  }

  async function flush() {
    scheduled = false;
    const batch = queue;
    queue = [];
    queued = 0;
    // Runs by key, each up to `max`, in arrival order within a key.
    const runs: { key: string; items: Queued<T, R>[] }[] = [];
    const open = new Map<string, { items: Queued<T, R>[]; size: number }>();
    for (const q of batch) {
      const k = opts.key?.(q.item) ?? "";
      const n = size(q.item);
      let r = open.get(k);
      if (!r || r.size + n > opts.max) {
        r = { items: [], size: 0 };
        open.set(k, r);
        runs.push({ key: k, items: r.items });
      }
      r.items.push(q);
      r.size += n;
    }
    const started: Promise<void>[] = [];
    for (const r of runs) {
      const busy = running.get(r.key) ?? 0;
      if (busy >= limit) {
        const held = waiting.get(r.key);
        if (held) held.push(...r.items);
        else waiting.set(r.key, r.items);
        continue;
      }
      running.set(r.key, busy + 1);
      started.push(
        run(r.items).finally(() => {
          const left = running.get(r.key)! - 1;
          if (left) running.set(r.key, left);
          else running.delete(r.key);
          // The key's held items go first, ahead of what came for it since.
          const held = waiting.get(r.key);
          if (held) {
            waiting.delete(r.key);
            queue = [...held, ...queue];
            for (const q of held) queued += size(q.item);
          }
          if (queue.length) flush().catch(() => {});
        }),
      );
    }
    await Promise.all(started);
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      queued += size(item);
      if (queued >= opts.max) flush().catch(() => {});
      else if (!scheduled) {
        scheduled = true;
        // After the calls already in this turn of the event loop have queued theirs. Not setTimeout(0):
        // a timer waits for the clock's next tick, ~2 ms a call here, half of a lone bid's whole latency.
        setImmediate(() => flush().catch(() => {}));
      }
    });
}
