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
