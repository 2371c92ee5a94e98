/**
 * Production entry: configuration → client build (if stale) → services → server.
 * The server listens at once; required services (database, KV) make it ready,
 * optional ones connect in the background and never block it.
 */
import { ConfigError, loadConfig } from "./services/config/env.ts";
import { setLogLevel } from "./services/log/logger.ts";

let config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    Deno.exit(1);
  }
  throw e;
}
setLogLevel(config.logLevel);

const { startServer } = await import("./services/server/start.ts");
await startServer(config);
