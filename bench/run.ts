/** `deno task bench`: every benchmark in turn, or those named (`deno task bench ssr startup`). */
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
  analytics: benchAnalytics,
  metering: benchMetering,
  alerts: () => Promise.resolve(benchAlerts()),
};
const names = Deno.args.length ? Deno.args : Object.keys(all);
console.log(`bench on ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, ${new Date().toISOString()}`);
for (const name of names) {
  const fn = all[name];
  if (!fn) {
    console.error(`unknown bench "${name}"; known: ${Object.keys(all).join(", ")}`);
    Deno.exit(2);
  }
  await fn();
}
