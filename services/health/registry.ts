/**
 * The health registry (docs/ARCHITECTURE.md, "Health registry and adapters"): starts every adapter,
 * keeps one ServiceState per service, and re-checks them in the background.
 *
 * Principle 2 lives here: `start()` awaits only required adapters; each
 * optional adapter runs its own loop of bounded attempts (start until it
 * succeeds, then periodic checks), so a dead or hung service can only ever
 * make its own state `unavailable`, never delay start-up or a request.
 */
import { log, redactUrl } from "../log/logger.ts";
import type { OverallStatus, ServiceAdapter, ServiceState, ServiceStatus } from "./types.ts";

export interface BackoffOptions {
  /** Delay after the first failure. */
  initialMs: number;
  /** Upper bound of any delay: a long outage is retried at this pace. */
  maxMs: number;
  /** Spread of each delay, 0..1 (0.2 → ±10 %), so instances do not retry in lockstep. */
  jitter: number;
}

export interface HealthRegistryOptions {
  /** Bound of one start attempt or check of an optional adapter: config.serviceTimeoutMs (≤ 2 s). */
  attemptTimeoutMs: number;
  /** Bound of one start attempt of a required adapter; PGlite's first initialisation alone takes ~5 s. */
  requiredAttemptTimeoutMs?: number;
  /** Start attempts of a required adapter before `start()` rejects (later ones follow on the backoff schedule). */
  requiredStartAttempts?: number;
  /**
   * Bound of a check of a required adapter. Longer than the optional one because a
   * busy PGlite (one connection) queues a check behind a large write, and a false
   * `unavailable` there turns the whole app unhealthy (503).
   */
  requiredCheckTimeoutMs?: number;
  /** Pause between checks of a service that answered. */
  checkIntervalMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Bound of each adapter's stop() during `stop()`. */
  stopTimeoutMs?: number;
  /** Injected by tests to make jitter deterministic. */
  random?: () => number;
}

/** `from` is "starting" for the first outcome of a service, which has no status of its own yet. */
export type StateChangeListener = (state: ServiceState, from: ServiceStatus | "starting") => void;

/** The longest optional adapters wait for the required ones before they start anyway. */
const OPTIONAL_START_DELAY_MS = 1_000;
const OPTIONAL_AFTER_READY_MS = 250;

const DEFAULTS = {
  requiredAttemptTimeoutMs: 60_000,
  requiredStartAttempts: 3,
  requiredCheckTimeoutMs: 10_000,
  checkIntervalMs: 10_000,
  backoff: { initialMs: 250, maxMs: 30_000, jitter: 0.2 } satisfies BackoffOptions,
};

export class AttemptTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "AttemptTimeoutError";
  }
}

export class RequiredServiceError extends Error {
  constructor(readonly service: string, attempts: number, reason: string) {
    super(`required service "${service}" did not start after ${attempts} attempt(s): ${reason}`);
    this.name = "RequiredServiceError";
  }
}

interface Entry {
  adapter: ServiceAdapter;
  state: ServiceState;
  /** Until its first outcome a service is "starting" for logs and listeners. */
  reported: boolean;
  /** start() has succeeded once: from then on the loop only checks (see checkNow). */
  started: boolean;
  /** start() has been called at least once, so stop() has something to release. */
  touched: boolean;
  failures: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  inFlight: Promise<boolean> | undefined;
  /** A required adapter's initial start loop, which owns the entry until it settles. */
  startLoop: Promise<void> | undefined;
}

/**
 * Overall status from a set of states (also used by the /health report):
 * unhealthy when a required service answers neither fully nor degraded;
 * degraded when a required service is degraded or a configured optional one is not available.
 */
export function overallStatus(states: readonly ServiceState[]): OverallStatus {
  let result: OverallStatus = "healthy";
  for (const s of states) {
    if (s.required) {
      if (s.status !== "available" && s.status !== "degraded") return "unhealthy";
      if (s.status === "degraded") result = "degraded";
    } else if (s.status !== "disabled" && s.status !== "available") {
      result = "degraded";
    }
  }
  return result;
}

/** One line, no secrets: connection strings inside driver messages are redacted. */
export function errorMessage(err: unknown): string {
  let text: string;
  if (err instanceof AggregateError && !err.message && err.errors.length) {
    // Node's net layer reports ECONNREFUSED on ::1 and 127.0.0.1 as one AggregateError without a message.
    text = err.errors.map((e) => errorMessage(e)).join("; ");
  } else if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    text = err.message || (typeof code === "string" ? code : err.name);
  } else {
    text = String(err);
  }
  text = redactUrl(text.replace(/\s+/g, " ").trim());
  return text.length > 300 ? text.slice(0, 297) + "..." : text;
}

/**
 * Runs `fn` with a signal aborted after `ms`, and also races it against that deadline,
 * so an adapter that ignores its signal still cannot hold the caller beyond `ms`.
 */
export async function bounded<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  ms: number,
  parent?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onParentAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new AttemptTimeoutError(ms);
      controller.abort(err);
      reject(err);
    }, ms);
    if (parent) {
      onParentAbort = () => {
        controller.abort(parent.reason);
        reject(parent.reason);
      };
      if (parent.aborted) onParentAbort();
      else parent.addEventListener("abort", onParentAbort, { once: true });
    }
  });
  try {
    // A synchronous throw from fn becomes a rejection, like any other failure.
    return await Promise.race([Promise.resolve().then(() => fn(controller.signal)), deadline]);
  } finally {
    clearTimeout(timer);
    if (parent && onParentAbort) parent.removeEventListener("abort", onParentAbort);
  }
}

export class HealthRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<StateChangeListener>();
  readonly #lifetime = new AbortController();
  readonly #opts: Required<Omit<HealthRegistryOptions, "backoff">> & { backoff: BackoffOptions };
  #startCalled = false;
  #stopping: Promise<void> | undefined;

  constructor(options: HealthRegistryOptions) {
    this.#opts = {
      attemptTimeoutMs: options.attemptTimeoutMs,
      requiredAttemptTimeoutMs: options.requiredAttemptTimeoutMs ?? DEFAULTS.requiredAttemptTimeoutMs,
      requiredStartAttempts: Math.max(1, options.requiredStartAttempts ?? DEFAULTS.requiredStartAttempts),
      requiredCheckTimeoutMs: options.requiredCheckTimeoutMs ?? DEFAULTS.requiredCheckTimeoutMs,
      checkIntervalMs: options.checkIntervalMs ?? DEFAULTS.checkIntervalMs,
      backoff: { ...DEFAULTS.backoff, ...options.backoff },
      stopTimeoutMs: options.stopTimeoutMs ?? options.attemptTimeoutMs,
      random: options.random ?? Math.random,
    };
  }

  register(adapter: ServiceAdapter): this {
    if (this.#entries.has(adapter.name)) throw new Error(`service "${adapter.name}" is already registered`);
    if (this.#startCalled) throw new Error(`cannot register "${adapter.name}" after start()`);
    this.#entries.set(adapter.name, {
      adapter,
      state: {
        name: adapter.name,
        required: adapter.required,
        status: adapter.configured ? "unavailable" : "disabled",
        features: adapter.features,
        latencyMs: null,
        since: new Date().toISOString(),
        lastError: null,
        lastCheck: null,
      },
      reported: !adapter.configured,
      started: false,
      touched: false,
      failures: 0,
      timer: undefined,
      inFlight: undefined,
      startLoop: undefined,
    });
    return this;
  }

  /**
   * Starts every configured adapter concurrently. Resolves when all required ones have
   * started; rejects on the first required one that fails all its attempts. Optional
   * adapters are only set going, never awaited.
   */
  start(): Promise<void> {
    if (this.#startCalled) return Promise.reject(new Error("HealthRegistry.start() called twice"));
    if (this.#stopping) return Promise.reject(new Error("HealthRegistry.start() called after stop()"));
    this.#startCalled = true;
    const required: Promise<void>[] = [];
    const optional: Entry[] = [];
    for (const entry of this.#entries.values()) {
      if (!entry.adapter.configured) continue;
      if (entry.adapter.required) {
        entry.startLoop = this.#startRequired(entry).finally(() => entry.startLoop = undefined);
        required.push(entry.startLoop);
      } else {
        optional.push(entry);
      }
    }
    // Optional adapters start once the required ones have (or after OPTIONAL_START_DELAY_MS at most): their
    // clients' set-up would otherwise share the start's busiest moment with the required ones, and delay
    // readiness for services the app can do without.
    const all = Promise.all(required).then(() => {});
    let go: ReturnType<typeof setTimeout> | undefined;
    const startOptional = () => {
      clearTimeout(go);
      if (this.#stopping) return;
      for (const entry of optional.splice(0)) void this.#cycle(entry);
    };
    go = setTimeout(startOptional, OPTIONAL_START_DELAY_MS);
    // A moment after readiness, not at it: the first requests (the readiness probe's among them) go first.
    const soon = () => {
      clearTimeout(go);
      go = setTimeout(startOptional, OPTIONAL_AFTER_READY_MS);
    };
    all.then(soon, soon);
    return all;
  }

  states(): ServiceState[] {
    return [...this.#entries.values()].map((e) => ({ ...e.state }));
  }

  state(name: string): ServiceState | undefined {
    const entry = this.#entries.get(name);
    return entry ? { ...entry.state } : undefined;
  }

  /** Degraded counts as available: the service answers, and callers should use it. */
  isAvailable(name: string): boolean {
    const status = this.#entries.get(name)?.state.status;
    return status === "available" || status === "degraded";
  }

  overall(): OverallStatus {
    return overallStatus([...this.#entries.values()].map((e) => e.state));
  }

  /** Every required service answers (degraded included): the instance can take traffic. */
  ready(): boolean {
    for (const e of this.#entries.values()) {
      if (e.adapter.required && !this.isAvailable(e.adapter.name)) return false;
    }
    return true;
  }

  /**
   * Resolves once every required service answers (at once if they do): when an instance whose start() was
   * rejected can take traffic after all. Never resolves once the registry is stopped.
   */
  untilReady(): Promise<void> {
    if (this.ready()) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.onChange(() => {
        if (!this.ready()) return;
        off();
        resolve();
      });
    });
  }

  /**
   * A caller's request to the service failed (no answer in time, a refused connection): it is taken as
   * unavailable at once, so that other callers take their fallback instead of each waiting out the same timeout
   * until the next scheduled check, and a check runs now (available again as soon as one answers). Nothing
   * happens while it is already unavailable, not started, or the registry stopping.
   */
  suspect(name: string, err: unknown): void {
    const entry = this.#entries.get(name);
    if (!entry || !entry.started || this.#stopping || !this.isAvailable(name)) return;
    entry.failures++;
    this.#update(entry, "unavailable", errorMessage(err), 0);
    // A check already in flight began before the failure: a fresh one after it (checkNow).
    void this.checkNow(name).catch(() => {});
  }

  onChange(listener: StateChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Runs the next attempt (start or check) of one or all configured services now
   * instead of at its scheduled time, and resolves when it has finished. An attempt
   * already in flight began before the caller asked, so it is awaited and then a fresh
   * one is made. A required service still in its initial start loop is only awaited.
   */
  async checkNow(name?: string): Promise<void> {
    const entries = name === undefined ? [...this.#entries.values()] : [this.#entries.get(name)];
    if (name !== undefined && !entries[0]) throw new Error(`unknown service "${name}"`);
    await Promise.all(entries.map(async (entry) => {
      if (!entry || !entry.adapter.configured || this.#stopping) return;
      if (entry.startLoop) return await entry.startLoop.catch(() => {});
      if (entry.inFlight) await entry.inFlight;
      if (!this.#stopping) await this.#cycle(entry);
    }));
  }

  /** Stops timers, aborts attempts in flight, and stops every adapter, each bounded. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#lifetime.abort(new Error("health registry stopped"));
    for (const entry of this.#entries.values()) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
    }
    // In-flight attempts settle at once: bounded() rejects on the lifetime signal.
    await Promise.allSettled([...this.#entries.values()].map((e) => e.inFlight));
    await Promise.allSettled(
      [...this.#entries.values()].filter((e) => e.touched).map((e) => this.#stopAdapter(e)),
    );
  }

  async #stopAdapter(entry: Entry): Promise<void> {
    try {
      await bounded(() => entry.adapter.stop(), this.#opts.stopTimeoutMs);
    } catch (err) {
      log.warn("service stop failed", { service: entry.adapter.name, error: errorMessage(err) });
    }
  }

  async #startRequired(entry: Entry): Promise<void> {
    const attempts = this.#opts.requiredStartAttempts;
    for (let i = 1;; i++) {
      if (await this.#attempt(entry)) {
        this.#schedule(entry, this.#opts.checkIntervalMs);
        return;
      }
      if (this.#lifetime.signal.aborted) throw new Error("health registry stopped during start");
      if (i >= attempts) {
        // start() reports the failure, but the service is not given up: an app started while its database was
        // down must become ready once the database is back, so the attempts go on, on the backoff schedule.
        this.#schedule(entry, this.#backoffMs(entry.failures));
        throw new RequiredServiceError(entry.adapter.name, attempts, entry.state.lastError ?? "unknown error");
      }
      await this.#sleep(entry, this.#backoffMs(i));
    }
  }

  /** One attempt, then the next one scheduled: the check interval after success, backoff after failure. */
  async #cycle(entry: Entry): Promise<void> {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    const ok = await this.#attempt(entry);
    if (this.#lifetime.signal.aborted) return;
    this.#schedule(entry, ok ? this.#opts.checkIntervalMs : this.#backoffMs(entry.failures));
  }

  #schedule(entry: Entry, delayMs: number): void {
    clearTimeout(entry.timer);
    if (this.#lifetime.signal.aborted) return;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      void this.#cycle(entry);
    }, delayMs);
  }

  #sleep(entry: Entry, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(entry.timer);
        entry.timer = undefined;
        this.#lifetime.signal.removeEventListener("abort", done);
        resolve();
      };
      entry.timer = setTimeout(done, ms);
      this.#lifetime.signal.addEventListener("abort", done, { once: true });
    });
  }

  #backoffMs(failures: number): number {
    const { initialMs, maxMs, jitter } = this.#opts.backoff;
    const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
    const spread = base * jitter * (this.#opts.random() - 0.5);
    return Math.max(0, Math.min(maxMs, Math.round(base + spread)));
  }

  /** Concurrent callers share the attempt in flight rather than doubling the load. */
  #attempt(entry: Entry): Promise<boolean> {
    entry.inFlight ??= this.#runAttempt(entry).finally(() => entry.inFlight = undefined);
    return entry.inFlight;
  }

  async #runAttempt(entry: Entry): Promise<boolean> {
    const { adapter } = entry;
    const wasStarted = entry.started;
    const timeoutMs = adapter.required
      ? (wasStarted ? this.#opts.requiredCheckTimeoutMs : this.#opts.requiredAttemptTimeoutMs)
      : this.#opts.attemptTimeoutMs;
    if (!wasStarted) entry.touched = true;
    const t0 = performance.now();
    try {
      const result = await bounded(
        (signal) => wasStarted ? adapter.check(signal) : adapter.start(signal).then(() => undefined),
        timeoutMs,
        this.#lifetime.signal,
      );
      if (this.#lifetime.signal.aborted) return false;
      entry.started = true;
      entry.failures = 0;
      this.#update(entry, result === "degraded" ? "degraded" : "available", null, performance.now() - t0);
      return true;
    } catch (err) {
      if (this.#lifetime.signal.aborted) return false;
      entry.failures++;
      this.#update(entry, "unavailable", errorMessage(err), performance.now() - t0);
      // A failed or timed-out start may have left a half-open client behind: release it
      // before the next attempt. A started client is kept and merely re-checked, because
      // the drivers reconnect on their own and callers may hold it.
      if (!wasStarted) await this.#stopAdapter(entry);
      return false;
    }
  }

  #update(entry: Entry, status: ServiceStatus, error: string | null, latencyMs: number): void {
    const state = entry.state;
    const now = new Date().toISOString();
    const from: ServiceStatus | "starting" = entry.reported ? state.status : "starting";
    state.latencyMs = Math.round(latencyMs * 10) / 10;
    state.lastCheck = now;
    state.lastError = error;
    if (from === status) return;
    entry.reported = true;
    state.status = status;
    state.since = now;
    const fields = {
      service: state.name,
      required: state.required,
      from,
      to: status,
      error,
      latencyMs: state.latencyMs,
      time: now,
    };
    if (status === "available") log.info("service state changed", fields);
    else log.warn("service state changed", fields);
    const snapshot = { ...state };
    for (const listener of this.#listeners) {
      try {
        listener(snapshot, from);
      } catch (err) {
        log.error("health listener failed", { error: errorMessage(err) });
      }
    }
  }
}
