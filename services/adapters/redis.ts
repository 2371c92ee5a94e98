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
  /** Clients whose connection was dropped for silence and has not been ready since (one flag per client). */
  const silent = new WeakSet<Redis>();
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
        // A command that failed (timed out) has had its answer: resent after a reconnect, a write would land twice
        // or late (a counter's INCR, a cache SET older than the KV write made meanwhile).
        autoResendUnfulfilledCommands: false,
        // Reconnect forever at a capped pace; health checks report the outage meanwhile.
        retryStrategy: (times) => Math.min(250 * 2 ** Math.min(times, 6), 5_000),
      });
      // Without a listener an 'error' event would crash the process; the registry reports the state.
      c.on("error", () => {});
      // Dropped at a command's timeout (below); its status says "ready" until the socket has closed.
      c.on("ready", () => silent.delete(c));
      dropOnTimeout(c, () => silent.add(c));
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
    client: () => (client?.status === "ready" && !silent.has(client) ? client : null),
  };
}

/** ioredis' rejection of a command that got no answer within `commandTimeout`. */
const TIMED_OUT = "Command timed out";

/**
 * A Redis that holds the connection open and answers nothing (a stopped process, a black-holed route) kept every
 * command for the whole command timeout, on every request that used the cache or a counter, for as long as it
 * lasted: `client()` still said "ready". The first command that times out drops the connection instead (`dropped`:
 * the adapter has no client from then on); ioredis reconnects, and until its ready check is answered there is
 * none, so callers take their fallback at once. Once per connection: the other commands waiting on it time out
 * too, and a connection made since is not the one that was silent. Pipelines and transactions send their
 * commands through the same method.
 */
export function dropOnTimeout(c: Redis, dropped: () => void): void {
  const send = c.sendCommand.bind(c);
  let droppedStream: unknown = null;
  c.sendCommand = ((...args: Parameters<Redis["sendCommand"]>) => {
    const stream = c.stream;
    const answered = send(...args) as Promise<unknown>;
    answered.catch((e: unknown) => {
      if (!(e instanceof Error) || e.message !== TIMED_OUT) return;
      if (c.status !== "ready" || c.stream !== stream || droppedStream === stream) return;
      droppedStream = stream;
      dropped();
      c.disconnect(true);
    });
    return answered;
  }) as Redis["sendCommand"];
}
