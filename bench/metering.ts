/**
 * The request path's metering in isolation: CPU time per request of what it adds (the quota meter's
 * check-and-count and the per-route metrics' counter and histogram), measured in-process over many
 * calls, and as a share of an authenticated API request's own CPU time (`BENCH_REQUEST_US`, default
 * 500 µs: ~2,000 bids/s on one core). Unlike a wrk run of two servers it does not depend on what else
 * the machine is doing, so it is the steadier figure on a shared machine.
 */
import { QuotaMeter, type SharedCounters } from "../services/admin/meter.ts";
import { DEFAULT_QUOTAS } from "../services/admin/quotas.ts";
import { RequestRecorder } from "../services/metrics/metrics.ts";
import { fmt, loadAverage, report } from "./lib.ts";

const N = 2_000_000;
const REQUEST_US = Number(Deno.env.get("BENCH_REQUEST_US") ?? 500);

function time(fn: (i: number) => void): number {
  for (let i = 0; i < 100_000; i++) fn(i); // warm-up: JIT
  const t0 = performance.now();
  for (let i = 0; i < N; i++) fn(i);
  return ((performance.now() - t0) * 1000) / N; // µs per call
}

export function benchMetering(): Promise<Record<string, number>> {
  const shared: SharedCounters = { add: (items) => Promise.resolve(items.map(() => 0)) };
  const meter = new QuotaMeter({
    limits: () => ({ ...DEFAULT_QUOTAS, api_requests_per_minute: 1e12, api_requests_per_day: 1e12 }),
    shared: () => shared,
    writeUsage: () => Promise.resolve(),
  });
  const orgs = Array.from({ length: 100 }, () => crypto.randomUUID());
  const recorder = new RequestRecorder();
  for (let i = 0; i < 100_000; i++) recorder.record("GET", `/warm/${i & 3}`, 200, 0.0004);
  const routes = ["/api/bids", "/api/bids/:id", "/market/:zone", "/"];
  const now = Date.now();
  const empty = time(() => {});
  const quota = time((i) => meter.request(orgs[i % 100], now)) - empty;
  const metrics = time((i) => recorder.record("GET", routes[i & 3], 200, 0.0004)) - empty;
  const total = quota + metrics;
  console.log(`metering: CPU per request, in-process, ${N.toLocaleString("en-US")} calls each`);
  console.log(`  quota check and count     ${fmt(quota, 3)} µs`);
  console.log(`  route metrics (count+hist) ${fmt(metrics, 3)} µs`);
  console.log(
    `  together ${fmt(total, 3)} µs = ${fmt((total / REQUEST_US) * 100, 2)} % of a ${REQUEST_US} µs request ` +
      `(target < 5 %: ${total / REQUEST_US < 0.05 ? "met" : "MISSED"}); load average ${loadAverage()}`,
  );
  report({
    bench: "metering",
    figure: "quota + route metrics, CPU share of a request",
    value: (total / REQUEST_US) * 100,
    unit: "%",
    target: { op: "<", value: 5, source: "issue 18" },
    baseline: { label: "request CPU assumed", value: REQUEST_US, unit: "µs" },
  });
  return Promise.resolve({ quotaUs: quota, metricsUs: metrics, sharePct: (total / REQUEST_US) * 100 });
}

if (import.meta.main) await benchMetering();
