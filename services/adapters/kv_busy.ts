/**
 * Processes sharing one Deno KV file (APP_PROCESSES, or instances on one volume) meet each other's writes as
 * a busy SQLite file: the write fails with "database is locked" instead of waiting. It is the same
 * contention as a refused check, met a moment later, so such a write is retried after a short pause.
 */
export function isKvBusy(e: unknown): boolean {
  return /database is locked/i.test(e instanceof Error ? e.message : String(e));
}

/** `op` again, after pauses of 1, 2, 4 … 50 ms, while the KV file is busy; other errors at once. */
export async function whileKvBusy<T>(op: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (!isKvBusy(e) || attempt >= attempts - 1) throw e;
      await new Promise((r) => setTimeout(r, Math.min(50, 2 ** attempt)));
    }
  }
}

/** The calls of Deno.Kv that write or read one entry: each is retried whole while the file is busy. */
const RETRIED = new Set<PropertyKey>(["get", "getMany", "set", "delete", "enqueue"]);

/**
 * `kv` with every single read, write and atomic commit retried while the file is busy (a commit that met
 * the lock was not applied, so trying it again is safe), so that no caller has to: the app opens its KV
 * through this (adapters/kv.ts). Lists, watches and the queue listener are passed through.
 */
export function retryWhileBusy(kv: Deno.Kv): Deno.Kv {
  return new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "atomic") {
        return () => {
          const op = target.atomic();
          const commit = op.commit.bind(op);
          op.commit = () => whileKvBusy(commit);
          return op;
        };
      }
      if (RETRIED.has(prop)) return (...args: unknown[]) => whileKvBusy(() => value.apply(target, args));
      return value.bind(target);
    },
  });
}
