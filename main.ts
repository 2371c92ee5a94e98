/**
 * Production entry: configuration → client build (if stale) → services → server.
 * The server listens at once; required services (database, KV) make it ready,
 * optional ones connect in the background and never block it.
 */

// The embedded database is the slowest part of a start and needs nothing but where its files are: open it,
// on a thread of its own, before anything else loads (the database adapter picks it up). Read straight from
// the environment because the configuration module is not loaded yet; a bad configuration still stops the
// process below, before the server starts. On Deno Deploy the adapter opens it in memory, in-process.
{
  const env = Deno.env.toObject();
  if (!env.DATABASE_URL && !env.DENO_DEPLOYMENT_ID) {
    // Its thread first, so that it loads its modules while this one loads the adapter's.
    const worker = new Worker(new URL("./services/adapters/pglite_worker.ts", import.meta.url), { type: "module" });
    const { pgliteDir, preopenPglite } = await import("./services/adapters/pglite.ts");
    const { DEFAULT_DATA_DIR } = await import("./services/config/defaults.ts");
    preopenPglite(pgliteDir(env.DATA_DIR || DEFAULT_DATA_DIR), worker);
  }
}

const { ConfigError, loadConfig } = await import("./services/config/env.ts");
const { flushLogs, log, setLogLevel } = await import("./services/log/logger.ts");

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

if (config.appProcesses > 1) {
  const { superviseProcesses } = await import("./server/cluster.ts");
  await superviseProcesses(config);
} else {
  const { EXIT_CANNOT_START, startServer, StartupError } = await import("./server/start.ts");
  try {
    await startServer(config);
  } catch (e) {
    if (!(e instanceof StartupError)) throw e;
    log.error("cannot start", { error: e.message });
    flushLogs();
    Deno.exit(EXIT_CANNOT_START);
  }
}
