/**
 * Reads shared for a while: the first request in a window starts the read and
 * every request in the window awaits the same promise (one round trip per
 * window, not per request). A failed read is not kept, so the next request
 * tries again. `at` names the read, for render caches keyed by data version.
 *
 * With `staleMs`, a window that ends does not make requests wait: the last
 * good value is served for up to `staleMs` more while one read renews it in
 * the background (stale-while-revalidate). On a busy embedded database a
 * page's reads can take longer than their window, and without this every
 * request of the page would queue behind them once per window.
 */
export interface MemoEntry<V> {
  at: number;
  value: Promise<V>;
}

export function memoReads<V>(ttlMs: number, maxKeys = 10_000, opts: { staleMs?: number } = {}) {
  const entries = new Map<string, MemoEntry<V>>();
  /** Entries whose read succeeded: only those may be served stale. */
  const good = new WeakSet<MemoEntry<V>>();
  const renewing = new Map<string, MemoEntry<V>>();
  const staleMs = opts.staleMs ?? 0;

  function start(key: string, read: () => Promise<V>, now: number): MemoEntry<V> {
    const entry: MemoEntry<V> = { at: now, value: read() };
    entry.value.then(() => void good.add(entry), () => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return entry;
  }

  function store(key: string, entry: MemoEntry<V>): void {
    if (entries.size >= maxKeys && !entries.has(key)) entries.clear();
    entries.set(key, entry);
  }

  return {
    /**
     * `fresh`: never the stale value — the caller was told the data changed (a live panel's refresh after a
     * bid outcome) and would show the old reading again. It joins a renewal under way or starts one.
     */
    get(key: string, read: () => Promise<V>, now = Date.now(), opts: { fresh?: boolean } = {}): MemoEntry<V> {
      const hit = entries.get(key);
      if (hit && now - hit.at < ttlMs) return hit;
      if (opts.fresh) {
        const under = renewing.get(key);
        if (under) return under;
      } else if (hit && good.has(hit) && now - hit.at < ttlMs + staleMs) {
        if (!renewing.has(key)) {
          const next = start(key, read, now);
          renewing.set(key, next);
          next.value.then(() => {
            if (renewing.get(key) === next) store(key, next);
          }, () => {}).finally(() => {
            if (renewing.get(key) === next) renewing.delete(key);
          });
        }
        return hit;
      }
      const entry = start(key, read, now);
      store(key, entry);
      return entry;
    },
    /** The data behind `key` changed here: the next request reads again. */
    delete(key: string): void {
      entries.delete(key);
      renewing.delete(key);
    },
  };
}
