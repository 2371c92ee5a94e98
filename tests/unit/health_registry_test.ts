import assert from "node:assert/strict";
import { HealthRegistry, type HealthRegistryOptions, overallStatus } from "../../services/health/registry.ts";
import type { ServiceAdapter, ServiceState, ServiceStatus } from "../../services/health/types.ts";
import { setLogSink } from "../../services/log/logger.ts";
import { waitForStatus } from "../helpers/health.ts";

type Fn<T> = (signal: AbortSignal) => Promise<T>;

interface Fake extends ServiceAdapter {
  starts: number[];
  checks: number;
  stops: number;
}

function fake(
  name: string,
  o: {
    required?: boolean;
    configured?: boolean;
    start?: Fn<void>;
    check?: Fn<void | "degraded">;
    stop?: () => Promise<void>;
  } = {},
): Fake {
  const t0 = performance.now();
  const f: Fake = {
    name,
    required: o.required ?? false,
    configured: o.configured ?? true,
    features: [`${name} feature`],
    starts: [],
    checks: 0,
    stops: 0,
    start(signal) {
      f.starts.push(performance.now() - t0);
      return o.start ? o.start(signal) : Promise.resolve();
    },
    check(signal) {
      f.checks++;
      return o.check ? o.check(signal) : Promise.resolve();
    },
    stop() {
      f.stops++;
      return o.stop ? o.stop() : Promise.resolve();
    },
  };
  return f;
}

/** Fast, deterministic timings; each test overrides what it exercises. */
/**
 * Records the delays passed to setTimeout in [min, max) (the backoff range of a test, clear of the helpers'
 * own timers), so a test can check the delays a registry chose rather than time how late timers fired.
 */
function spyOnDelays(min: number, max: number): { delays: number[]; restore(): void } {
  const delays: number[] = [];
  const real = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms?: number, ...args: unknown[]) => {
    if (typeof ms === "number" && ms >= min && ms < max) delays.push(ms);
    return real(fn, ms, ...args);
  }) as typeof setTimeout;
  return { delays, restore: () => void (globalThis.setTimeout = real) };
}

function registry(opts: Partial<HealthRegistryOptions> = {}): HealthRegistry {
  return new HealthRegistry({
    attemptTimeoutMs: 200,
    checkIntervalMs: 60_000,
    backoff: { initialMs: 20, maxMs: 80, jitter: 0 },
    stopTimeoutMs: 100,
    ...opts,
  });
}

const never = () => new Promise<never>(() => {});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function captureLogs(): { lines: Record<string, unknown>[]; restore: () => void } {
  const lines: Record<string, unknown>[] = [];
  const restore = setLogSink((line) => lines.push(JSON.parse(line)));
  return { lines, restore };
}

Deno.test("start() awaits required adapters but never an optional one", async () => {
  const { restore } = captureLogs();
  let releaseOptional!: () => void;
  const optionalGate = new Promise<void>((r) => releaseOptional = r);
  let requiredDone = false;
  const slowAdapter = fake("slow", { start: () => optionalGate });
  const reg = registry({ attemptTimeoutMs: 2000 })
    .register(fake("db", { required: true, start: () => sleep(50).then(() => void (requiredDone = true)) }))
    .register(slowAdapter);
  try {
    await reg.start();
    assert.equal(requiredDone, true);
    assert.equal(reg.state("db")?.status, "available");
    assert.equal(reg.ready(), true);
    const slow = reg.state("slow")!;
    assert.equal(slow.status, "unavailable");
    assert.equal(slow.lastCheck, null, "the optional start is still pending, so nothing was recorded");
    assert.equal(reg.overall(), "degraded");
    // Optional adapters start a moment after the required ones are up, so readiness is not shared with them.
    assert.equal(slowAdapter.starts.length, 0, "not started yet");
    const t0 = performance.now();
    while (slowAdapter.starts.length === 0) await sleep(10);
    assert.ok(performance.now() - t0 < 10_000, "started (a bound: it waits a moment, not for a release)");

    releaseOptional();
    await reg.checkNow("slow"); // awaits the attempt in flight, then checks afresh
    assert.equal(reg.state("slow")?.status, "available");
    assert.equal(slowAdapter.starts.length, 1);
    assert.equal(slowAdapter.checks, 1);
    assert.equal(reg.overall(), "healthy");
  } finally {
    await reg.stop();
    restore();
  }
});

Deno.test("an adapter that never settles and ignores its signal is unavailable after the attempt timeout", async () => {
  const { restore } = captureLogs();
  const hung = fake("hung", { start: never, check: never, stop: never });
  const reg = registry({ attemptTimeoutMs: 150, backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 } })
    .register(hung);
  try {
    const t0 = performance.now();
    await reg.start();
    assert.equal(reg.state("hung")?.lastCheck, null, "start() returned without waiting for the optional adapter");
    const state = await waitForStatus(reg, "hung", "unavailable");
    // Timers never fire early, so this lower bound holds on any machine; the upper one is the helper's bound.
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 145, `reported after ${elapsed} ms, before the attempt timeout`);
    assert.match(state.lastError ?? "", /no answer within 150 ms/);
    assert.ok(state.latencyMs !== null && state.latencyMs >= 145);
    assert.equal(hung.starts.length, 1);
    await sleep(0); // the release follows the report
    assert.equal(hung.stops, 1, "a timed-out start is released with stop()");
  } finally {
    const t1 = performance.now();
    await reg.stop();
    assert.ok(performance.now() - t1 < 5000, "stop() is bounded even though the adapter's stop() never settles");
    restore();
  }
});

Deno.test("the signal given to an attempt is aborted when the attempt times out", async () => {
  const { restore } = captureLogs();
  let seen: AbortSignal | undefined;
  const reg = registry({ attemptTimeoutMs: 100, backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 } })
    .register(fake("polite", {
      start: (signal) => {
        seen = signal;
        return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      },
    }));
  try {
    await reg.start();
    const state = await waitForStatus(reg, "polite", "unavailable");
    assert.equal(seen?.aborted, true);
    assert.match(state.lastError ?? "", /no answer within 100 ms/);
  } finally {
    await reg.stop();
    restore();
  }
});

Deno.test("failed starts are retried with capped exponential backoff until the service answers", async () => {
  const { restore } = captureLogs();
  let failuresLeft = 4;
  const flaky = fake("flaky", {
    start: () => failuresLeft-- > 0 ? Promise.reject(new Error("connection refused")) : Promise.resolve(),
  });
  const reg = registry({ backoff: { initialMs: 20, maxMs: 60, jitter: 0 } }).register(flaky);
  // The delays as scheduled, not as measured: a loaded machine fires timers late, never early.
  const scheduled = spyOnDelays(15, 100);
  try {
    await reg.start();
    const state = await waitForStatus(reg, "flaky", "available");
    assert.equal(flaky.starts.length, 5);
    // 20, 40, then capped at 60, 60.
    const expected = [20, 40, 60, 60];
    assert.deepEqual(scheduled.delays, expected);
    const gaps = flaky.starts.slice(1).map((t, i) => t - flaky.starts[i]);
    gaps.forEach((gap, i) => assert.ok(gap >= expected[i] - 2, `gaps ${gaps}`));
    assert.equal(flaky.stops, 4, "each failed start was released before the next");
    assert.equal(state.lastError, null);
    assert.equal(flaky.checks, 0, "no check before the check interval");
  } finally {
    scheduled.restore();
    await reg.stop();
    restore();
  }
});

Deno.test("jitter spreads retry delays but keeps them under the cap", async () => {
  const { restore } = captureLogs();
  let failuresLeft = 3;
  const flaky = fake("flaky", {
    start: () => failuresLeft-- > 0 ? Promise.reject(new Error("down")) : Promise.resolve(),
  });
  // random() = 1 stretches every delay by +jitter/2: 40 → 60 (capped), 80 → 60.
  const reg = registry({ backoff: { initialMs: 40, maxMs: 60, jitter: 1 }, random: () => 1 }).register(flaky);
  // The delays as scheduled, not as measured: a loaded machine fires timers late, never early.
  const scheduled = spyOnDelays(30, 100);
  try {
    await reg.start();
    await waitForStatus(reg, "flaky", "available");
    assert.deepEqual(scheduled.delays, [60, 60, 60], "each retry delay stretched by the jitter, then capped");
    const gaps = flaky.starts.slice(1).map((t, i) => t - flaky.starts[i]);
    assert.ok(gaps.every((g) => g >= 58), `gaps ${gaps}`);
  } finally {
    scheduled.restore();
    await reg.stop();
    restore();
  }
});

Deno.test("a failing check makes the service unavailable, then it recovers on its own", async () => {
  const { restore } = captureLogs();
  let answer: "ok" | "fail" | "degraded" = "ok";
  const svc = fake("cache", {
    check: () =>
      answer === "fail"
        ? Promise.reject(new Error("ECONNRESET"))
        : Promise.resolve(answer === "degraded" ? "degraded" : undefined),
  });
  const reg = registry({ backoff: { initialMs: 20, maxMs: 40, jitter: 0 } }).register(svc);
  try {
    await reg.start();
    await waitForStatus(reg, "cache", "available");

    answer = "fail";
    await reg.checkNow("cache");
    const down = reg.state("cache")!;
    assert.equal(down.status, "unavailable");
    assert.equal(down.lastError, "ECONNRESET");
    assert.equal(reg.isAvailable("cache"), false);
    assert.equal(svc.stops, 0, "a started client is re-checked, not torn down");

    const checksWhileDown = svc.checks;
    await sleep(100);
    assert.ok(svc.checks >= checksWhileDown + 2, "re-checks continue with backoff, not at the 60 s interval");

    answer = "ok";
    const up = await waitForStatus(reg, "cache", "available", 1000);
    assert.equal(up.lastError, null);
    assert.equal(svc.starts.length, 1);

    answer = "degraded";
    await reg.checkNow("cache");
    assert.equal(reg.state("cache")?.status, "degraded");
    assert.equal(reg.isAvailable("cache"), true);
    assert.equal(reg.overall(), "degraded");
  } finally {
    await reg.stop();
    restore();
  }
});

Deno.test("each state change is logged once, and listeners see the same changes", async () => {
  const { lines, restore } = captureLogs();
  let startFailures = 3;
  let checkFailing = false;
  const svc = fake("kafka", {
    start: () =>
      startFailures-- > 0 ? Promise.reject(new Error("connect to redis://u:hunter2@h:6379 failed")) : Promise.resolve(),
    check: () => checkFailing ? Promise.reject(new Error("broker gone")) : Promise.resolve(),
  });
  const reg = registry({ backoff: { initialMs: 10, maxMs: 20, jitter: 0 } }).register(svc);
  const seen: string[] = [];
  const off = reg.onChange((s, from) => seen.push(`${from}->${s.status}`));
  try {
    await reg.start();
    await waitForStatus(reg, "kafka", "available");
    checkFailing = true;
    await reg.checkNow("kafka");
    await sleep(80); // several failed re-checks: none of them may log again
    checkFailing = false;
    await waitForStatus(reg, "kafka", "available");

    const changes = lines.filter((l) => l.msg === "service state changed");
    assert.deepEqual(changes.map((l) => `${l.from}->${l.to}`), [
      "starting->unavailable",
      "unavailable->available",
      "available->unavailable",
      "unavailable->available",
    ]);
    assert.deepEqual(seen, changes.map((l) => `${l.from}->${l.to}`));
    for (const l of changes) {
      assert.equal(l.service, "kafka");
      assert.equal(typeof l.time, "string");
      assert.ok("error" in l);
    }
    assert.deepEqual(changes.map((l) => l.level), ["warn", "info", "warn", "info"]);
    assert.equal(changes[0].error, "connect to redis://u:***@h:6379 failed");
    assert.equal(changes[2].error, "broker gone");
    assert.ok(!JSON.stringify(lines).includes("hunter2"), "no secret reaches the log");
  } finally {
    off();
    await reg.stop();
    restore();
  }
});

Deno.test("a service that is not configured is disabled and never started", async () => {
  const { restore } = captureLogs();
  const off = fake("mlflow", { configured: false });
  const reg = registry().register(fake("db", { required: true })).register(off);
  try {
    const before = reg.state("mlflow")!;
    assert.equal(before.status, "disabled");
    await reg.start();
    await reg.checkNow();
    assert.equal(reg.state("mlflow")?.status, "disabled");
    assert.equal(off.starts.length + off.checks, 0);
    assert.equal(reg.overall(), "healthy");
    assert.deepEqual(reg.states().map((s) => [s.name, s.status]), [["db", "available"], ["mlflow", "disabled"]]);
  } finally {
    await reg.stop();
    restore();
  }
  assert.equal(off.stops, 0);
});

Deno.test("overall(): unhealthy only for a required service down; degraded for an optional one", async () => {
  const st = (name: string, required: boolean, status: ServiceStatus): ServiceState => ({
    name,
    required,
    status,
    features: [],
    latencyMs: null,
    since: new Date(0).toISOString(),
    lastError: null,
    lastCheck: null,
  });
  assert.equal(overallStatus([]), "healthy");
  assert.equal(overallStatus([st("db", true, "available"), st("redis", false, "available")]), "healthy");
  assert.equal(overallStatus([st("db", true, "available"), st("redis", false, "disabled")]), "healthy");
  assert.equal(overallStatus([st("db", true, "available"), st("redis", false, "unavailable")]), "degraded");
  assert.equal(overallStatus([st("db", true, "available"), st("redis", false, "degraded")]), "degraded");
  assert.equal(overallStatus([st("db", true, "degraded"), st("redis", false, "available")]), "degraded");
  assert.equal(overallStatus([st("db", true, "unavailable"), st("redis", false, "available")]), "unhealthy");
  assert.equal(overallStatus([st("db", true, "disabled")]), "unhealthy");

  const { restore } = captureLogs();
  let dbUp = true;
  const reg = registry()
    .register(fake("db", { required: true, check: () => dbUp ? Promise.resolve() : Promise.reject(new Error("x")) }))
    .register(fake("redis", { start: () => Promise.reject(new Error("refused")) }))
    .register(fake("kafka", { configured: false }));
  try {
    assert.equal(reg.overall(), "unhealthy", "before start nothing has answered");
    assert.equal(reg.ready(), false);
    await reg.start();
    await waitForStatus(reg, "redis", "unavailable");
    assert.equal(reg.overall(), "degraded");
    assert.equal(reg.ready(), true);
    dbUp = false;
    await reg.checkNow("db");
    assert.equal(reg.overall(), "unhealthy");
    assert.equal(reg.ready(), false);
  } finally {
    await reg.stop();
    restore();
  }
});

Deno.test("stop() clears every timer and aborts attempts in flight, even with stuck adapters", async () => {
  const { restore } = captureLogs();
  let checkSignal: AbortSignal | undefined;
  const stuck = fake("stuck", {
    check: (signal) => {
      checkSignal = signal;
      return never();
    },
    stop: never,
  });
  const retrying = fake("retrying", { start: () => Promise.reject(new Error("down")) });
  const reg = registry({ attemptTimeoutMs: 2000, backoff: { initialMs: 5000, maxMs: 5000, jitter: 0 } })
    .register(stuck).register(retrying).register(fake("db", { required: true }));
  await reg.start();
  await waitForStatus(reg, "stuck", "available");
  await waitForStatus(reg, "retrying", "unavailable"); // now waiting 5 s in backoff
  const pending = reg.checkNow("stuck"); // a 2 s check in flight
  await sleep(10);
  const t0 = performance.now();
  await reg.stop();
  await pending;
  // Waiting for the 2 s check or the 5 s backoff would take seconds; anything under that did not wait.
  assert.ok(performance.now() - t0 < 1500, `stop() took ${performance.now() - t0} ms`);
  assert.equal(checkSignal?.aborted, true);
  assert.equal(stuck.stops, 1);
  assert.equal(retrying.stops >= 1, true);
  // Deno's op sanitizer fails this test if a timer is still pending here.
  await reg.stop(); // idempotent
  restore();
});

Deno.test("a required service that fails all its attempts rejects start()", async () => {
  const { restore } = captureLogs();
  const db = fake("database", {
    required: true,
    start: () => Promise.reject(new Error("could not open postgres://app:s3cret@db/optibid")),
  });
  const reg = registry({ requiredStartAttempts: 3, backoff: { initialMs: 10, maxMs: 10, jitter: 0 } })
    .register(db).register(fake("redis"));
  try {
    await assert.rejects(reg.start(), (err: Error) => {
      assert.equal(err.name, "RequiredServiceError");
      assert.match(err.message, /required service "database" did not start after 3 attempt/);
      assert.match(err.message, /postgres:\/\/app:\*\*\*@db/);
      assert.ok(!err.message.includes("s3cret"));
      return true;
    });
    assert.equal(db.starts.length, 3);
    assert.equal(reg.state("database")?.status, "unavailable");
    assert.equal(reg.overall(), "unhealthy");
  } finally {
    await reg.stop();
    restore();
  }
});

Deno.test("a required service whose start() was rejected is tried again until it answers; untilReady then", async () => {
  const { restore } = captureLogs();
  let failing = 5;
  const db = fake("database", {
    required: true,
    start: () => failing-- > 0 ? Promise.reject(new Error("ECONNREFUSED")) : Promise.resolve(),
  });
  const reg = registry({ requiredStartAttempts: 3, backoff: { initialMs: 10, maxMs: 20, jitter: 0 } }).register(db);
  try {
    await assert.rejects(reg.start(), /"database" did not start after 3 attempt/);
    assert.equal(reg.ready(), false);
    let ready = false;
    const untilReady = reg.untilReady().then(() => ready = true);
    await sleep(5);
    assert.equal(ready, false, "not while it fails");
    await untilReady;
    assert.equal(db.starts.length, 6, "three attempts in start(), then on until the sixth succeeded");
    assert.equal(reg.state("database")?.status, "available");
    assert.equal(reg.ready(), true);
    await reg.untilReady(); // at once when ready
  } finally {
    await reg.stop();
    restore();
  }
});

Deno.test("suspect: a caller's failure makes the service unavailable at once; a check brings it back", async () => {
  const { restore } = captureLogs();
  let answer: (() => void) | null = null;
  let silent = false;
  const ch = fake("clickhouse", {
    // While silent a check waits until the test lets it answer (a black-holed server within its timeout).
    check: () => silent ? new Promise<void>((resolve) => answer = resolve) : Promise.resolve(),
  });
  const reg = registry({ checkIntervalMs: 60_000 }).register(ch);
  try {
    await reg.start();
    await waitForStatus(reg, "clickhouse", "available", 2000);
    const checksBefore = ch.checks;
    silent = true;
    reg.suspect("clickhouse", new Error("Timeout error."));
    // At once, without waiting for the check it started.
    assert.equal(reg.state("clickhouse")?.status, "unavailable");
    assert.equal(reg.state("clickhouse")?.lastError, "Timeout error.");
    assert.equal(reg.isAvailable("clickhouse"), false);
    await sleep(20);
    assert.equal(ch.checks, checksBefore + 1, "a check runs now");
    assert.equal(reg.state("clickhouse")?.status, "unavailable", "while it gets no answer");
    reg.suspect("clickhouse", new Error("again")); // already unavailable: nothing more
    assert.equal(ch.checks, checksBefore + 1);
    silent = false;
    answer!();
    await waitForStatus(reg, "clickhouse", "available", 2000);
    reg.suspect("unknown", new Error("x")); // a name it does not have: ignored
  } finally {
    await reg.stop();
    restore();
  }
});

Deno.test("a required start is bounded by its own (longer) timeout", async () => {
  const { restore } = captureLogs();
  const reg = registry({
    attemptTimeoutMs: 50,
    requiredAttemptTimeoutMs: 150,
    requiredStartAttempts: 1,
  }).register(fake("database", { required: true, start: () => sleep(100) }))
    .register(fake("kv", { required: true, start: never }));
  try {
    const t0 = performance.now();
    // database needs 100 ms: beyond the optional bound, within the required one.
    await assert.rejects(reg.start(), /"kv" did not start after 1 attempt\(s\): no answer within 150 ms/);
    assert.ok(performance.now() - t0 < 5000, "bounded: kv's start never settles");
    assert.equal(reg.state("database")?.status, "available");
  } finally {
    await reg.stop();
    restore();
  }
});

Deno.test("register/checkNow misuse is reported", async () => {
  const reg = registry().register(fake("a"));
  assert.throws(() => reg.register(fake("a")), /already registered/);
  await assert.rejects(reg.checkNow("nope"), /unknown service "nope"/);
  await reg.stop();
  await assert.rejects(reg.start(), /after stop/);
});
