/**
 * Reads shared for a while: the first request in a window starts the read and
 * every request in the window awaits the same promise (one round trip per
 * window, not per request). A failed read is not kept, so the next request
 * tries again. `at` names the read, for render caches keyed by data version.
 */
export interface MemoEntry<V> {
  at: number;
  value: Promise<V>;
}

export function memoReads<V>(ttlMs: number, maxKeys = 10_000) {
  const entries = new Map<string, MemoEntry<V>>();
  return {
    get(key: string, read: () => Promise<V>, now = Date.now()): MemoEntry<V> {
      const hit = entries.get(key);
      if (hit && now - hit.at < ttlMs) return hit;
      const entry: MemoEntry<V> = { at: now, value: read() };
      entry.value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      if (entries.size >= maxKeys) entries.clear();
      entries.set(key, entry);
      return entry;
    },
    /** The data behind `key` changed here: the next request reads again. */
    delete(key: string): void {
      entries.delete(key);
    },
  };
}
