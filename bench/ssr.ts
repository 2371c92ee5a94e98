/**
 * SSR throughput: requests/s and p50/p99 of server-rendered pages at 50
 * connections (wrk), against the same Deno server returning the same bytes
 * from memory, in the same run. Server pinned to core 0, wrk to core 1.
 * Target ratio ≥ 0.5.
 */
import { fmt, haveCommand, spawnServer, wrk } from "./lib.ts";

const PAGES = (Deno.env.get("BENCH_PAGES") ?? "/system-status").split(",");
const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 10);

export async function benchSsr(): Promise<Record<string, unknown>[]> {
  if (!haveCommand("wrk")) {
    console.log("ssr: skipped, wrk is not installed (apt-get install -y wrk)");
    return [];
  }
  const dataDir = await Deno.makeTempDir({ prefix: "optibid-bench-ssr-" });
  const app = await spawnServer({ env: { DATA_DIR: dataDir } });
  const results: Record<string, unknown>[] = [];
  try {
    for (const path of PAGES) {
      const bytes = new Uint8Array(await (await fetch(app.url + path)).arrayBuffer());
      const file = await Deno.makeTempFile({ suffix: ".html" });
      await Deno.writeFile(file, bytes);
      await wrk(app.url + path, { seconds: 2 }); // warm-up
      const ssr = await wrk(app.url + path, { seconds: SECONDS });
      const baseline = await spawnServer({ args: ["run", "-A", "bench/static_server.ts", file] });
      try {
        await wrk(baseline.url + path, { seconds: 2 });
        const base = await wrk(baseline.url + path, { seconds: SECONDS });
        const ratio = ssr.requestsPerSec / base.requestsPerSec;
        console.log(
          `ssr ${path} (${bytes.length} bytes, 50 connections, ${SECONDS} s)\n` +
            `  app:      ${fmt(ssr.requestsPerSec, 0)} req/s  p50 ${fmt(ssr.p50Ms, 2)} ms  p99 ${
              fmt(ssr.p99Ms, 2)
            } ms  errors ${ssr.errors}\n` +
            `  baseline: ${fmt(base.requestsPerSec, 0)} req/s  p50 ${fmt(base.p50Ms, 2)} ms  p99 ${
              fmt(base.p99Ms, 2)
            } ms\n` +
            `  ratio ${fmt(ratio, 2)} (target ≥ 0.5: ${ratio >= 0.5 ? "met" : "MISSED"})`,
        );
        results.push({ path, bytes: bytes.length, app: ssr, baseline: base, ratio });
      } finally {
        await baseline.stop();
        await Deno.remove(file);
      }
    }
  } finally {
    await app.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
  return results;
}

if (import.meta.main) await benchSsr();
