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

/**
 * Ends a start that cannot go on. The embedded database opened above is let finish and closed first (bounded),
 * so that a first start's initialisation of the data folder is not cut off halfway.
 */
async function endStart(code: number): Promise<never> {
  const { closePreopenedPglite } = await import("./services/adapters/pglite.ts");
  await closePreopenedPglite();
  Deno.exit(code);
}

let config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    await endStart(1);
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
    // StartupError: said in one line (the port is taken). Anything else is a fault of the app: with its stack.
    const known = e instanceof StartupError;
    log.error("cannot start", { error: known ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e) });
    flushLogs();
    await endStart(known ? EXIT_CANNOT_START : 1);
  }
}
