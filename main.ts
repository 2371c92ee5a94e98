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

// The embedded database is the slowest part of a start and depends on nothing else: open it
// while the app's modules load (the database adapter picks it up).
if (!config.databaseUrl) {
  const { preopenPglite } = await import("./services/adapters/pglite.ts");
  preopenPglite(config.onDenoDeploy ? null : `${config.dataDir}/pg`);
}

const { startServer } = await import("./services/server/start.ts");
await startServer(config);
