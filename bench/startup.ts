/**
 * Start-up: from process start to /health/ready answering 200, with every
 * optional service configured but unreachable (a closed loopback port), and
 * again pointed at a listener that accepts and never answers. PGlite's
 * first-ever initialisation is measured separately. Target: < 1 s.
 */
import { fmt, freePort, median, report, spawnServer, throwawayDatabase } from "./lib.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 5);

function optionalAt(port: number): Record<string, string> {
  return {
    REDIS_URL: `redis://127.0.0.1:${port}`,
    KAFKA_BROKERS: `127.0.0.1:${port}`,
    CLICKHOUSE_URL: `http://127.0.0.1:${port}`,
    MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}`,
  };
}

async function measure(label: string, env: Record<string, string>, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Not pinned: nothing else runs, and a server may use every core to start (PGlite opens on a thread
    // of its own while the app's modules load).
    const server = await spawnServer({ env, core: null });
    times.push(server.readyMs);
    await server.stop();
  }
  console.log(
    `${label.padEnd(48)} median ${fmt(median(times), 0)} ms  min ${fmt(Math.min(...times), 0)}  max ${
      fmt(Math.max(...times), 0)
    }  (${runs} runs)`,
  );
  return times;
}

export async function benchStartup(): Promise<Record<string, number>> {
  const dataDir = await Deno.makeTempDir({ prefix: "optibid-bench-startup-" });
  // A closed port: connection refused at once.
  const closed = freePort();
  // A listener that accepts and never answers: only the attempt timeout ends it.
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  const silentPort = (silent.addr as Deno.NetAddr).port;
  try {
    console.log("startup: process start → /health/ready 200");
    const [first] = await measure("first-ever start (PGlite initialises data dir)", {
      DATA_DIR: dataDir,
      ...optionalAt(closed),
    }, 1);
    const refused = await measure("optional services: closed port", { DATA_DIR: dataDir, ...optionalAt(closed) }, RUNS);
    const hung = await measure("optional services: accept, never answer", {
      DATA_DIR: dataDir,
      ...optionalAt(silentPort),
    }, RUNS);
    const result: Record<string, number> = {
      firstEverMs: first,
      closedPortMedianMs: median(refused),
      silentListenerMedianMs: median(hung),
    };
    const pg = await throwawayDatabase("startup");
    if (pg) {
      try {
        const onPg = await measure("Postgres (DATABASE_URL), optional: silent", {
          DATA_DIR: dataDir,
          DATABASE_URL: pg.url,
          ...optionalAt(silentPort),
        }, RUNS);
        result.postgresSilentMedianMs = median(onPg);
      } finally {
        await pg.drop();
      }
    } else {
      console.log("Postgres variant skipped: no server at BENCH_PG_ADMIN_URL / 127.0.0.1:5432");
    }
    const ready = (figure: string, value: number, target = true) =>
      report({
        bench: "startup",
        figure,
        value,
        unit: "ms",
        ...(target ? { target: { op: "<", value: 1000, source: "issue 20" } } : {}),
      });
    ready(`ready, optional services refused (median of ${RUNS})`, result.closedPortMedianMs);
    ready(`ready, optional services silent (median of ${RUNS})`, result.silentListenerMedianMs);
    ready("first-ever start (PGlite initialises)", result.firstEverMs, false);
    if (result.postgresSilentMedianMs !== undefined) {
      ready("ready on Postgres, optional services silent", result.postgresSilentMedianMs, false);
    }
    console.log(
      `target < 1000 ms: closed port ${result.closedPortMedianMs < 1000 ? "met" : "MISSED"}, silent listener ${
        result.silentListenerMedianMs < 1000 ? "met" : "MISSED"
      }`,
    );
    return result;
  } finally {
    silent.close();
    for (const c of held) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await Deno.remove(dataDir, { recursive: true });
  }
}

if (import.meta.main) await benchStartup();
