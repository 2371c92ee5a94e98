/** Deno KV: the zero-dependency cache, queue and rate-limit store (native on Deno Deploy). */
import type { Config } from "../config/env.ts";
import type { ServiceAdapter } from "../health/types.ts";
import { retryWhileBusy } from "./kv_busy.ts";

export interface KvAdapter extends ServiceAdapter {
  kv(): Deno.Kv;
}

export async function openKv(path: string | undefined): Promise<Deno.Kv> {
  if (path && path !== ":memory:") await Deno.mkdir(path.replace(/\/[^/]*$/, "") || ".", { recursive: true });
  // Processes sharing the file (APP_PROCESSES) meet each other's writes as "database is locked".
  return retryWhileBusy(await Deno.openKv(path));
}

export function createKvAdapter(config: Pick<Config, "kvPath">): KvAdapter {
  let kv: Deno.Kv | null = null;
  return {
    name: "kv",
    required: true,
    configured: true,
    features: ["cache fallback", "queue fallback", "rate limits"],
    async start() {
      kv ??= await openKv(config.kvPath);
    },
    async check() {
      if (!kv) throw new Error("Deno KV is not open");
      await kv.get(["health"]);
    },
    stop() {
      try {
        kv?.close();
      } catch { /* already closed */ }
      kv = null;
      return Promise.resolve();
    },
    kv() {
      if (!kv) throw new Error("Deno KV is not open yet");
      return kv;
    },
  };
}

/**
 * Adds `delta` to the number at `key` (a missing one is 0) and gives the new value: read, then a commit checked
 * against what was read, again while another writer got there first. The entry expires `expireInMs` after
 * its last write. `what` names the counter in the error of one contended past 20 tries.
 */
export async function kvAdd(kv: Deno.Kv, key: Deno.KvKey, delta: number, expireInMs: number, what: string) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const cur = await kv.get<number>(key);
    const next = (cur.value ?? 0) + delta;
    const r = await kv.atomic().check(cur).set(key, next, { expireIn: expireInMs }).commit();
    if (r.ok) return next;
  }
  throw new Error(`${what} is contended`);
}
