/**
 * Quotas metered on the request path without waiting on anything: each instance counts in memory and
 * decides against (the shared total it last heard + what it counted since); every FLUSH_MS it adds its
 * counts to the shared counters (Redis INCRBY, else Deno KV) in one round and hears the new totals.
 *
 * Accuracy: an organization can overshoot a limit by what its requests on the *other* instances add
 * within one flush interval (N instances × its rate × FLUSH_MS; on one instance, never). In exchange a
 * request costs a map lookup and two additions. Usage per day goes to the database in the background
 * (USAGE_FLUSH_MS), never a write per request; a crash loses at most that long of usage figures.
 */
import type { Redis } from "ioredis";
import { DomainError } from "../errors.ts";
import { kvAdd } from "../adapters/kv.ts";
import { log } from "../log/logger.ts";
import { errorMessage } from "../health/registry.ts";
import { counters } from "../metrics/metrics.ts";
import {
  DAY_MS,
  MINUTE_MS,
  QUOTA_LABELS,
  type QuotaKey,
  type Quotas,
  secondsLeft,
  utcDay,
  windowOf,
} from "./quotas.ts";
import type { UsageMetric } from "./store.ts";

export const FLUSH_MS = 200;
export const USAGE_FLUSH_MS = 10_000;

/** One fixed window's count for one organization and quota. */
class WindowCount {
  window = -1;
  /** Counted here since the last flush. */
  pending = 0;
  /** Sent, answer not back yet. */
  sending = 0;
  /** The shared total as last heard (this instance's flushed counts included). */
  total = 0;

  constructor(readonly sizeMs: number) {}

  /** Counts `n` unless that would pass `limit`. */
  take(n: number, limit: number, now: number): boolean {
    const w = windowOf(now, this.sizeMs);
    if (w !== this.window) {
      this.window = w;
      this.pending = 0;
      this.sending = 0;
      this.total = 0;
    }
    if (this.total + this.sending + this.pending + n > limit) return false;
    this.pending += n;
    return true;
  }

  refund(n: number): void {
    this.pending = Math.max(0, this.pending - n);
  }
}

interface OrgMeter {
  orgId: string;
  limits: Quotas;
  perMinute: WindowCount;
  perDay: WindowCount;
  bids: WindowCount;
  /** Usage for the daily table, of `day`. */
  day: string;
  dayIndex: number;
  usage: Record<UsageMetric, number>;
}

/** The shared side: adds deltas to keys and answers their totals (in order). */
export interface SharedCounters {
  add(items: { key: string; delta: number; ttlMs: number }[]): Promise<number[]>;
}

export function redisCounters(redis: () => Pick<Redis, "pipeline"> | null, prefix: string): SharedCounters | null {
  return {
    async add(items) {
      const r = redis();
      if (!r) throw new Error("redis not connected");
      const p = r.pipeline();
      for (const i of items) p.incrby(prefix + i.key, i.delta).pexpire(prefix + i.key, i.ttlMs, "NX");
      const res = await p.exec();
      if (!res) throw new Error("redis pipeline aborted");
      return items.map((_, idx) => {
        const [err, v] = res[idx * 2];
        if (err) throw err;
        return Number(v);
      });
    },
  };
}

export function kvCounters(kv: () => Deno.Kv): SharedCounters {
  return {
    add: (items) => Promise.all(items.map((i) => kvAdd(kv(), ["quota", i.key], i.delta, i.ttlMs, "quota counter"))),
  };
}

export interface Refusal {
  quota: QuotaKey;
  limit: number;
  retryAfterS: number;
}

export class QuotaMeter {
  #orgs = new Map<string, OrgMeter>();
  #limits: (orgId: string) => Quotas;
  #shared: () => SharedCounters;
  #writeUsage: (rows: { orgId: string; day: string; metric: UsageMetric; count: number }[]) => Promise<void>;
  #closedDays: { orgId: string; day: string; metric: UsageMetric; count: number }[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #usageTimer: ReturnType<typeof setInterval> | undefined;
  #flushing = false;

  constructor(opts: {
    limits: (orgId: string) => Quotas;
    shared: () => SharedCounters;
    writeUsage: (rows: { orgId: string; day: string; metric: UsageMetric; count: number }[]) => Promise<void>;
  }) {
    this.#limits = opts.limits;
    this.#shared = opts.shared;
    this.#writeUsage = opts.writeUsage;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), FLUSH_MS);
    this.#usageTimer ??= setInterval(() => void this.flushUsage(), USAGE_FLUSH_MS);
    Deno.unrefTimer(this.#timer);
    Deno.unrefTimer(this.#usageTimer);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#usageTimer);
    this.#timer = this.#usageTimer = undefined;
    await this.flush();
    await this.flushUsage();
  }

  /** New limits (an operator changed them): applied to the counts already made. */
  reloadLimits(): void {
    for (const m of this.#orgs.values()) m.limits = this.#limits(m.orgId);
  }

  #org(orgId: string, now: number): OrgMeter {
    let m = this.#orgs.get(orgId);
    if (!m) {
      m = {
        orgId,
        limits: this.#limits(orgId),
        perMinute: new WindowCount(MINUTE_MS),
        perDay: new WindowCount(DAY_MS),
        bids: new WindowCount(DAY_MS),
        day: utcDay(now),
        dayIndex: windowOf(now, DAY_MS),
        usage: { api_requests: 0, bids: 0, ws_connections: 0, rejected: 0 },
      };
      this.#orgs.set(orgId, m);
    } else if (windowOf(now, DAY_MS) !== m.dayIndex) {
      // A new UTC day: yesterday's usage waits for the next write under its own day.
      this.#closeDay(m);
      m.day = utcDay(now);
      m.dayIndex = windowOf(now, DAY_MS);
    }
    return m;
  }

  #closeDay(m: OrgMeter): void {
    for (const metric of Object.keys(m.usage) as UsageMetric[]) {
      if (m.usage[metric]) this.#closedDays.push({ orgId: m.orgId, day: m.day, metric, count: m.usage[metric] });
      m.usage[metric] = 0;
    }
  }

  /** An API request of `orgId`: null when it may go ahead (and is counted), else which quota refuses it. */
  request(orgId: string, now = Date.now()): Refusal | null {
    const m = this.#org(orgId, now);
    if (!m.perMinute.take(1, m.limits.api_requests_per_minute, now)) {
      return this.#refuse(m, "api_requests_per_minute", m.limits.api_requests_per_minute, MINUTE_MS, now);
    }
    if (!m.perDay.take(1, m.limits.api_requests_per_day, now)) {
      m.perMinute.refund(1);
      return this.#refuse(m, "api_requests_per_day", m.limits.api_requests_per_day, DAY_MS, now);
    }
    m.usage.api_requests++;
    return null;
  }

  /** `n` new bids of `orgId`; throws the 429 when the day's quota would be passed. `refund` undoes it. */
  takeBids(orgId: string, n: number, now = Date.now()): void {
    const m = this.#org(orgId, now);
    if (!m.bids.take(n, m.limits.bids_per_day, now)) {
      throw quotaError(this.#refuse(m, "bids_per_day", m.limits.bids_per_day, DAY_MS, now));
    }
    m.usage.bids += n;
  }

  refundBids(orgId: string, n: number): void {
    const m = this.#orgs.get(orgId);
    if (!m) return;
    m.bids.refund(n);
    m.usage.bids = Math.max(0, m.usage.bids - n);
  }

  /** A WebSocket connection opened (counted for the usage table; the limit is checked by the caller). */
  wsOpened(orgId: string, now = Date.now()): void {
    this.#org(orgId, now).usage.ws_connections++;
  }

  limitsOf(orgId: string): Quotas {
    return this.#orgs.get(orgId)?.limits ?? this.#limits(orgId);
  }

  #refuse(m: OrgMeter, quota: QuotaKey, limit: number, sizeMs: number, now: number): Refusal {
    m.usage.rejected++;
    counters.quotaRejections.inc({ quota });
    return { quota, limit, retryAfterS: secondsLeft(now, sizeMs) };
  }

  /** Adds what this instance counted to the shared counters and takes back their totals. */
  async flush(): Promise<void> {
    if (this.#flushing) return;
    const batch: { c: WindowCount; sent: number; window: number; key: string }[] = [];
    for (const m of this.#orgs.values()) {
      for (const [name, c] of [["min", m.perMinute], ["day", m.perDay], ["bids", m.bids]] as const) {
        if (!c.pending) continue;
        const sent = c.pending;
        c.pending = 0;
        c.sending += sent;
        batch.push({ c, sent, window: c.window, key: `quota:${m.orgId}:${name}:${c.window}` });
      }
    }
    if (!batch.length) return;
    this.#flushing = true;
    try {
      const totals = await this.#shared().add(batch.map((b) => ({
        key: b.key,
        delta: b.sent,
        ttlMs: b.c.sizeMs * 2,
      })));
      batch.forEach((b, i) => {
        if (b.c.window !== b.window) return;
        b.c.sending -= b.sent;
        b.c.total = Math.max(b.c.total, totals[i]);
      });
    } catch (e) {
      // The shared counter is down: this instance goes on with what it counted itself.
      for (const b of batch) {
        if (b.c.window !== b.window) continue;
        b.c.sending -= b.sent;
        b.c.total += b.sent;
      }
      log.debug("quota counters not shared", { error: errorMessage(e) });
    } finally {
      this.#flushing = false;
    }
  }

  /** Adds the usage counted since the last write to the daily table. */
  async flushUsage(): Promise<void> {
    // One row per organization, day and metric: rows kept from a failed write and this interval's counts
    // of the same key are summed, since one upsert may not touch a row twice (Postgres refuses the whole
    // statement, and every later write with it, for as long as the kept rows stayed apart).
    const rows = new Map<string, { orgId: string; day: string; metric: UsageMetric; count: number }>();
    const add = (r: { orgId: string; day: string; metric: UsageMetric; count: number }) => {
      const key = `${r.orgId}|${r.day}|${r.metric}`;
      const had = rows.get(key);
      if (had) had.count += r.count;
      else rows.set(key, { ...r });
    };
    this.#closedDays.forEach(add);
    this.#closedDays = [];
    for (const m of this.#orgs.values()) {
      for (const metric of Object.keys(m.usage) as UsageMetric[]) {
        if (m.usage[metric]) add({ orgId: m.orgId, day: m.day, metric, count: m.usage[metric] });
        m.usage[metric] = 0;
      }
    }
    if (!rows.size) return;
    const batch = [...rows.values()];
    try {
      await this.#writeUsage(batch);
    } catch (e) {
      // Kept for the next write: usage figures are not lost to a database hiccup.
      this.#closedDays.push(...batch);
      log.warn("usage not written", { error: errorMessage(e) });
    }
  }
}

export function quotaError(r: Refusal): DomainError {
  return new DomainError(
    "rate_limited",
    `Your organization's quota of ${r.limit} ${QUOTA_LABELS[r.quota]} is used up; try again in ${r.retryAfterS} s`,
    { code: "quota_exceeded", retryAfter: r.retryAfterS, details: { quota: r.quota, limit: r.limit } },
  );
}
