/**
 * Redis (optional): the shared cache and, later, pub/sub across instances.
 * Commands fail fast while it is down (no offline queue), so callers fall back
 * to Deno KV at once; the client reconnects by itself and the registry's checks
 * see it come back.
 */
import type { Redis } from "ioredis";
import type { Config } from "../config/env.ts";
import type { ServiceAdapter } from "../health/types.ts";

export interface RedisAdapter extends ServiceAdapter {
  /** The client while it is connected and ready; null otherwise. */
  client(): Redis | null;
  readonly prefix: string;
}

export function createRedisAdapter(
  config: Pick<Config, "redisUrl" | "redisKeyPrefix" | "serviceTimeoutMs">,
): RedisAdapter {
  let client: Redis | null = null;
  return {
    name: "redis",
    required: false,
    configured: Boolean(config.redisUrl),
    features: ["shared cache", "pub/sub fan-out across instances", "rate limit counters"],
    prefix: config.redisKeyPrefix,
    async start(signal) {
      const { Redis } = await import("ioredis");
      const c = new Redis(config.redisUrl!, {
        lazyConnect: true,
        connectTimeout: config.serviceTimeoutMs,
        commandTimeout: config.serviceTimeoutMs,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        // Reconnect forever at a capped pace; health checks report the outage meanwhile.
        retryStrategy: (times) => Math.min(250 * 2 ** Math.min(times, 6), 5_000),
      });
      // Without a listener an 'error' event would crash the process; the registry reports the state.
      c.on("error", () => {});
      client = c;
      const onAbort = () => c.disconnect();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        await c.connect();
        await c.ping();
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    },
    async check() {
      if (!client) throw new Error("not connected");
      await client.ping();
    },
    stop() {
      const c = client;
      client = null;
      c?.disconnect();
      return Promise.resolve();
    },
    client: () => (client?.status === "ready" ? client : null),
  };
}
