/**
 * A Redis pub/sub subscription on a connection of its own (a subscribed connection cannot run other
 * commands): connects in the background, resubscribes after every reconnect, hands over each message
 * parsed as JSON (anything else is dropped), and never throws at its owner — an outage only shows as
 * `onState(false)` and a warning.
 */
import type { Redis } from "ioredis";
import { errorMessage } from "../health/registry.ts";
import { log } from "../log/logger.ts";

export interface RedisSubscription {
  close(): void;
}

export function subscribeRedis(opts: {
  url: string;
  channel: string;
  /** Bound on connecting. */
  timeoutMs: number;
  /** Who subscribes, for the warning when the first connection fails. */
  name: string;
  onJson: (raw: unknown) => void;
  onState?: (connected: boolean) => void;
}): RedisSubscription {
  let closed = false;
  let sub: Redis | null = null;
  (async () => {
    const { Redis } = await import("ioredis");
    if (closed) return;
    const c = new Redis(opts.url, {
      lazyConnect: true,
      connectTimeout: opts.timeoutMs,
      // Subscribe commands wait for the connection; ioredis resubscribes after every reconnect.
      enableOfflineQueue: true,
      autoResubscribe: true,
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(250 * 2 ** Math.min(times, 6), 5_000),
    });
    sub = c;
    // Without a listener an 'error' event would crash the process; outages show through onState.
    c.on("error", () => {});
    c.on("ready", () => opts.onState?.(true));
    c.on("close", () => opts.onState?.(false));
    c.on("message", (_channel: string, text: string) => {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        return;
      }
      opts.onJson(raw);
    });
    await c.subscribe(opts.channel);
  })().catch((e) => {
    // The first connect failed; ioredis keeps retrying and resubscribes when it gets through.
    if (!closed) log.warn(`${opts.name}: Redis subscriber not connected yet`, { error: errorMessage(e) });
  });
  return {
    close() {
      closed = true;
      opts.onState?.(false);
      sub?.disconnect();
      sub = null;
    },
  };
}
