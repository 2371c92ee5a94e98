/**
 * `deno task bench`: every benchmark in turn, or those named (`deno task bench ssr startup`), then one
 * summary table of their headline figures against their targets, also written as JSON
 * (bench/results/summary-<time>.json, or `--out=file`). `--compare=old.json` adds each figure's change
 * since that run; `--no-table` leaves the table out (a bench that runs another, e.g. analytics → ssr).
 */
import { parseArgs } from "node:util";
import { benchAnalytics } from "./analytics.ts";
import { benchAlerts } from "./alerts.ts";
import { benchAuth } from "./auth.ts";
import { benchClearing } from "./clearing.ts";
import { benchIngest } from "./ingest.ts";
import { benchOptimize } from "./optimize.ts";
import { benchBids } from "./bids.ts";
import { benchDayBatch } from "./day_batch.ts";
import { benchMetering } from "./metering.ts";
import { benchSettlementImport } from "./settlement_import.ts";
import { benchSsr } from "./ssr.ts";
import { benchStartup } from "./startup.ts";
import { benchWsFanout } from "./ws_fanout.ts";
import { loadAverage, reported } from "./lib.ts";
import { compare, formatComparison, formatSummary, parseSummary, type Summary, summaryJson } from "./summary.ts";

const all: Record<string, () => Promise<unknown>> = {
  startup: benchStartup,
  ssr: benchSsr,
  auth: benchAuth,
  ingest: benchIngest,
  bids: benchBids,
  clearing: benchClearing,
  day_batch: benchDayBatch,
  optimize: benchOptimize,
  settlement_import: benchSettlementImport,
  ws_fanout: () => benchWsFanout(),
  // Issue 20's second realtime figure: an admin's broadcasts to 5,000 clients, at 2/s, over two processes
  // (one process measured p99 98 ms, two 54 ms: the fan-out's send() calls spread over both cores).
  ws_broadcast: () => benchWsFanout(["--clients=5000", "--rate=2", "--seconds=20", "--via=http", "--processes=2"]),
  // Issue 20's 10,000 clients at 1,000 ticks/s, one process (two measured worse: both share the cores with the
  // clients). Its own figure in the table, met or not: the clients' process alone takes a core here.
  ws_10k: () => benchWsFanout(["--clients=10000"]),
  analytics: benchAnalytics,
  metering: benchMetering,
  alerts: () => Promise.resolve(benchAlerts()),
};
const { values: opts, positionals } = parseArgs({
  args: Deno.args,
  options: { compare: { type: "string" }, out: { type: "string" }, "no-table": { type: "boolean" } },
  allowPositionals: true,
});
const names = positionals.length ? positionals : Object.keys(all);
const unknown = names.filter((n) => !all[n]);
if (unknown.length) {
  console.error(`unknown bench "${unknown.join('", "')}"; known: ${Object.keys(all).join(", ")}`);
  Deno.exit(2);
}
// Read before the run, not after it: a wrong path should not cost a whole run.
let before: Summary | null = null;
if (opts.compare) {
  try {
    before = parseSummary(await Deno.readTextFile(opts.compare));
  } catch (e) {
    console.error(`--compare ${opts.compare}: ${e instanceof Error ? e.message : e}`);
    Deno.exit(2);
  }
}

const startedAt = new Date();
console.log(`bench on ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, ${startedAt.toISOString()}`);
const missing: Summary["missing"] = [];
for (const name of names) {
  const had = reported().length;
  try {
    await all[name]();
  } catch (e) {
    // The other benches still run and the table still shows what they measured; the exit status says it failed.
    console.error(`bench ${name} failed:`, e);
    missing.push({ bench: name, reason: `failed: ${e instanceof Error ? e.message : e}`.slice(0, 200) });
    Deno.exitCode = 1;
    continue;
  }
  if (reported().length === had) missing.push({ bench: name, reason: "skipped (see its output)" });
}

const summary: Summary = {
  version: 1,
  started_at: startedAt.toISOString(),
  finished_at: new Date().toISOString(),
  deno: Deno.version.deno,
  cores: navigator.hardwareConcurrency,
  benches: names,
  missing,
  figures: reported(),
};
// The table first: a path that cannot be written should not cost the run its figures.
if (!opts["no-table"]) {
  console.log(`\nsummary (load average now ${loadAverage()}):\n${formatSummary(summary)}`);
  if (before && opts.compare) {
    console.log(
      `\n${
        formatComparison(compare(summary.figures, before.figures, names), `${opts.compare} (${before.started_at})`)
      }`,
    );
  }
}
const out = opts.out ??
  new URL(`results/summary-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`, import.meta.url).pathname;
if (!opts.out) await Deno.mkdir(new URL("results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(out, summaryJson(summary));
if (!opts["no-table"]) console.log(`\nwritten ${out}`);
