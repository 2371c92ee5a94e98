/**
 * ClickHouse (optional, CLICKHOUSE_URL): columnar price history and analytics at scale.
 * Without it, analytics run as SQL on Postgres.
 *
 * The URL may carry credentials and a database: `http://user:pass@host:8123/optibid`.
 *
 * Compatibility: verified against ClickHouse 18.16. This client sends no ClickHouse
 * settings by default (only `query_id` and `database`), so old servers accept every
 * request; do not add `clickhouse_settings` without checking them there. Server-side
 * query parameters (`{name:Type}` with `query_params`) do NOT exist in 18.16 (it
 * answers "Unknown setting param_…"): callers must format values themselves.
 */
import type { ClickHouseClient, Logger } from "@clickhouse/client-web";
import type { Config } from "../config/env.ts";
import { log, redactUrl } from "../log/logger.ts";
import type { ServiceAdapter } from "../health/types.ts";

export interface ClickhouseAdapter extends ServiceAdapter {
  /**
   * The client once started, null before and after. A started client outlives an outage
   * (it reconnects per request): ask the registry whether ClickHouse answers right now.
   */
  client(): ClickHouseClient | null;
  /** `SELECT version()` of the server, once started. */
  serverVersion(): string | null;
}

export const CLICKHOUSE_FEATURES = ["analytics at scale", "price history (columnar)"] as const;

/**
 * The client logs every failed request itself, which would repeat each retry of an
 * outage; the registry already logs state changes once, and callers get the errors.
 * Only its configuration warnings are worth a warn line.
 */
class ClientLogger implements Logger {
  trace() {}
  debug() {}
  info() {}
  warn(p: { module: string; message: string; err?: Error }) {
    const fields = { service: "clickhouse", module: p.module, error: p.err ? redactUrl(p.err.message) : undefined };
    if (p.module === "Config") log.warn(`clickhouse client: ${p.message}`, fields);
    else log.debug(`clickhouse client: ${p.message}`, fields);
  }
  error(p: { module: string; message: string; err: Error }) {
    log.debug(`clickhouse client: ${p.message}`, {
      service: "clickhouse",
      module: p.module,
      error: redactUrl(p.err.message),
    });
  }
}

export function createClickhouseAdapter(
  config: Pick<Config, "clickhouseUrl" | "serviceTimeoutMs">,
): ClickhouseAdapter {
  let current: ClickHouseClient | null = null;
  let version: string | null = null;

  async function close(client: ClickHouseClient | null): Promise<void> {
    if (!client) return;
    try {
      await client.close();
    } catch { /* closing a broken client has nothing left to release */ }
  }

  return {
    name: "clickhouse",
    required: false,
    configured: Boolean(config.clickhouseUrl),
    features: CLICKHOUSE_FEATURES,

    async start(signal) {
      if (!config.clickhouseUrl) throw new Error("CLICKHOUSE_URL is not set");
      const url = new URL(config.clickhouseUrl);
      // Every request, not only the registry's, must stay bounded: a request_timeout in the
      // URL may shorten it but never lengthen it.
      const fromUrl = Number(url.searchParams.get("request_timeout"));
      url.searchParams.delete("request_timeout");
      const requestTimeout = fromUrl > 0 ? Math.min(fromUrl, config.serviceTimeoutMs) : config.serviceTimeoutMs;

      const { createClient, ClickHouseLogLevel } = await import("@clickhouse/client-web");
      signal.throwIfAborted();
      await close(current);
      const client = createClient({
        url,
        request_timeout: requestTimeout,
        application: "optibid",
        log: { LoggerClass: ClientLogger, level: ClickHouseLogLevel.WARN },
      });
      try {
        // ping() reports failure as a value, not a throw.
        const ping = await client.ping({ select: false, abort_signal: signal });
        if (!ping.success) throw ping.error;
        // /ping checks neither credentials nor the database; a query does.
        const rows = await (await client.query({
          query: "SELECT version() AS version",
          format: "JSONEachRow",
          abort_signal: signal,
        })).json<{ version: string }>();
        signal.throwIfAborted();
        version = rows[0]?.version ?? null;
        current = client;
      } catch (err) {
        await close(client);
        throw err;
      }
    },

    async check(signal) {
      if (!current) throw new Error("clickhouse client not started");
      const ping = await current.ping({ select: false, abort_signal: signal });
      if (!ping.success) throw ping.error;
    },

    async stop() {
      const client = current;
      current = null;
      await close(client);
    },

    client: () => current,
    serverVersion: () => version,
  };
}

/**
 * Whether a failed ClickHouse request says the server is unreachable or silent (a timeout, a refused or cut
 * connection) rather than that it answered with an error of its own (a ClickHouseError: a numeric `code` and
 * its `type`, parsed from the server's answer), which says nothing about its availability.
 */
export function isClickhouseOutage(e: unknown): boolean {
  const { code, type } = (e ?? {}) as { code?: unknown; type?: unknown };
  return !(typeof code === "string" && /^\d+$/.test(code) && typeof type === "string");
}
