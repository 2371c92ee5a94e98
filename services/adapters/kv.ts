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
