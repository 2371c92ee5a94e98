/** The metering comparison's arithmetic (bench/lib.ts `onOffRounds`): alternating rounds, medians, the measure. */
import assert from "node:assert/strict";
import { onOffRounds, type WrkResult } from "../../bench/lib.ts";

const run = (rps: number, extra: Partial<WrkResult> = {}): WrkResult => ({
  requestsPerSec: rps,
  meanMs: 1,
  p50Ms: 1,
  p99Ms: 2,
  errors: 0,
  ...extra,
});

Deno.test("onOffRounds: by server CPU a request when every round measured it, sides alternating", async () => {
  const order: string[] = [];
  // Requests/s swing by a third between rounds; the CPU a request costs does not (on: 10 % more).
  const swing = [1, 0.7, 1.3, 0.8, 1.2, 0.9];
  let i = 0;
  const m = await onOffRounds((which) => {
    order.push(which);
    const k = swing[Math.floor(i++ / 2)];
    const requests = 10_000 * k;
    const cpuUs = which === "on" ? 44 : 40;
    return Promise.resolve(run(requests / 3, { requests, serverCpuSeconds: requests * cpuUs / 1e6 }));
  }, 6);
  assert.deepEqual(order, ["on", "off", "off", "on", "on", "off", "off", "on", "on", "off", "off", "on"]);
  assert.equal(m.by, "cpu per request");
  assert.ok(Math.abs(m.overheadPct - 10) < 1e-9, `${m.overheadPct}`);
  assert.ok(Math.abs(m.cpuPerRequestUs!.on - 44) < 1e-9 && Math.abs(m.cpuPerRequestUs!.off - 40) < 1e-9);
  assert.equal(m.cpuRatios!.length, 6);
  assert.ok(m.cpuRatios!.every((r) => Math.abs(r - 1.1) < 1e-9), "CPU a request on ÷ off, each round");
  assert.deepEqual(m.ratios.map((r) => r.toFixed(6)), swing.map(() => (1).toFixed(6)), "requests/s on ÷ off");
});

Deno.test("onOffRounds: by requests/s when a round has no CPU figure", async () => {
  const m = await onOffRounds((which) => Promise.resolve(run(which === "on" ? 950 : 1000)), 3);
  assert.equal(m.by, "requests/s");
  assert.ok(Math.abs(m.overheadPct - 5) < 1e-9);
  assert.equal(m.cpuPerRequestUs, undefined);
  const partial = await onOffRounds(
    (which) => Promise.resolve(run(1000, which === "on" ? { requests: 100, serverCpuSeconds: 0.01 } : {})),
    2,
  );
  assert.equal(partial.by, "requests/s");
  // A side read as no CPU at all (its process gone) is not a free request: the comparison falls back.
  const gone = await onOffRounds(
    (which) => Promise.resolve(run(1000, { requests: 100, serverCpuSeconds: which === "on" ? 0 : 0.01 })),
    2,
  );
  assert.equal(gone.by, "requests/s");
});
