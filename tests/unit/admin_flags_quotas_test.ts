/** Feature flag evaluation and the quota meter, pure: no database, no clock but the one passed in. */
import assert from "node:assert/strict";
import { evaluateFlag, type Flag, rolloutBucket } from "../../services/admin/flags.ts";
import { QuotaMeter, type SharedCounters } from "../../services/admin/meter.ts";
import { DEFAULT_QUOTAS, effectiveQuotas, type Quotas, secondsLeft } from "../../services/admin/quotas.ts";
import { bucketQuantile } from "../../services/metrics/summary.ts";

const flag = (o: Partial<Flag> = {}): Flag => ({
  key: "analytics",
  description: "",
  enabled: false,
  rollout_percent: null,
  overrides: new Map(),
  ...o,
});

Deno.test("flags: an override beats the rollout, the rollout beats the default", () => {
  const org = crypto.randomUUID();
  assert.deepEqual(evaluateFlag(flag({ enabled: true }), org), { enabled: true, source: "default" });
  assert.deepEqual(evaluateFlag(flag({ rollout_percent: 100 }), org), { enabled: true, source: "rollout" });
  assert.deepEqual(evaluateFlag(flag({ enabled: true, rollout_percent: 0 }), org), {
    enabled: false,
    source: "rollout",
  });
  const overrides = new Map([[org, false]]);
  assert.deepEqual(evaluateFlag(flag({ enabled: true, rollout_percent: 100, overrides }), org), {
    enabled: false,
    source: "override",
  });
});

Deno.test("flags: the rollout bucket is stable per organization and flag, and spreads evenly", () => {
  const org = "0b5c2a5e-8a1f-4c2e-9d8e-1f2a3b4c5d6e";
  // Fixed forever: a change of hash would move organizations in and out of every rollout.
  assert.equal(rolloutBucket(org, "analytics"), rolloutBucket(org.toUpperCase(), "analytics"));
  assert.equal(rolloutBucket(org, "analytics"), rolloutBucket(org, "analytics"));
  const counts = new Array(10).fill(0);
  const orgs = Array.from({ length: 5_000 }, () => crypto.randomUUID());
  for (const o of orgs) counts[Math.floor(rolloutBucket(o, "forecasts") / 10)]++;
  for (const c of counts) assert.ok(c > 400 && c < 600, `deciles ${counts}`);
  // Raising the percentage only adds organizations.
  const at = (p: number) => new Set(orgs.filter((o) => evaluateFlag(flag({ rollout_percent: p }), o).enabled));
  const [ten, fifty] = [at(10), at(50)];
  for (const o of ten) assert.ok(fifty.has(o));
  // Flags are independent: being in one rollout says nothing about another.
  const both = orgs.filter((o) => rolloutBucket(o, "a_flag") < 50 && rolloutBucket(o, "b_flag") < 50).length;
  assert.ok(both > 1_000 && both < 1_500, `${both}`);
});

function meter(limits: Partial<Quotas>, shared: SharedCounters) {
  const written: { orgId: string; day: string; metric: string; count: number }[] = [];
  const m = new QuotaMeter({
    limits: () => ({ ...DEFAULT_QUOTAS, ...limits }),
    shared: () => shared,
    writeUsage: (rows) => {
      written.push(...rows);
      return Promise.resolve();
    },
  });
  return { m, written };
}

/** One shared store for several meters, as Redis would be for several instances. */
function sharedStore(): SharedCounters & { values: Map<string, number> } {
  const values = new Map<string, number>();
  return {
    values,
    add(items) {
      return Promise.resolve(items.map((i) => {
        const v = (values.get(i.key) ?? 0) + i.delta;
        values.set(i.key, v);
        return v;
      }));
    },
  };
}

Deno.test("quota meter: refuses at the limit, per organization, and starts over with the window", () => {
  const { m } = meter({ api_requests_per_minute: 3 }, sharedStore());
  const t0 = Date.UTC(2026, 0, 5, 10, 0, 10);
  const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
  for (let i = 0; i < 3; i++) assert.equal(m.request(a, t0 + i), null);
  const refused = m.request(a, t0 + 5);
  assert.deepEqual(refused, { quota: "api_requests_per_minute", limit: 3, retryAfterS: 50 });
  assert.equal(m.request(b, t0 + 5), null, "another organization counts apart");
  assert.equal(m.request(a, t0 + 60_000), null, "the next minute starts over");
});

Deno.test("quota meter: instances share counts through the flush; the overshoot is bounded by one flush", async () => {
  const shared = sharedStore();
  const one = meter({ api_requests_per_minute: 10 }, shared);
  const two = meter({ api_requests_per_minute: 10 }, shared);
  const org = crypto.randomUUID();
  const now = Date.UTC(2026, 0, 5, 10, 0, 0);
  for (let i = 0; i < 6; i++) assert.equal(one.m.request(org, now), null);
  await one.m.flush();
  // The second instance has not flushed yet: it knows nothing of the first's 6 until it does.
  assert.equal(two.m.request(org, now), null);
  await two.m.flush();
  // Now it knows 7 were made: 3 more are allowed, then a refusal.
  for (let i = 0; i < 3; i++) assert.equal(two.m.request(org, now), null, `request ${i}`);
  assert.equal(two.m.request(org, now)?.quota, "api_requests_per_minute");
  await two.m.flush();
  // The first still believes 6: one more goes through (the overshoot of one flush), and its flush brings the total.
  assert.equal(one.m.request(org, now), null);
  await one.m.flush();
  assert.equal(one.m.request(org, now)?.quota, "api_requests_per_minute", "the first instance hears it too");
});

Deno.test("quota meter: a shared counter that is down leaves each instance its own count", async () => {
  const broken: SharedCounters = { add: () => Promise.reject(new Error("redis down")) };
  const { m } = meter({ api_requests_per_minute: 2 }, broken);
  const org = crypto.randomUUID();
  const now = Date.UTC(2026, 0, 5, 10, 0, 0);
  assert.equal(m.request(org, now), null);
  await m.flush();
  assert.equal(m.request(org, now), null);
  assert.equal(m.request(org, now)?.quota, "api_requests_per_minute");
});

Deno.test("quota meter: bids per day are taken and refunded; usage goes to the daily table by UTC day", async () => {
  const { m, written } = meter({ bids_per_day: 5 }, sharedStore());
  const org = crypto.randomUUID();
  const day1 = Date.UTC(2026, 0, 5, 23, 59, 0);
  m.takeBids(org, 4, day1);
  assert.throws(() => m.takeBids(org, 2, day1), (e: Error & { code?: string }) => e.code === "quota_exceeded");
  m.refundBids(org, 1);
  m.takeBids(org, 2, day1);
  m.request(org, day1);
  m.request(org, day1 + 120_000); // the next UTC day
  await m.flushUsage();
  const of = (day: string, metric: string) =>
    written.filter((w) => w.day === day && w.metric === metric).reduce((s, w) => s + w.count, 0);
  assert.equal(of("2026-01-05", "bids"), 5);
  assert.equal(of("2026-01-05", "api_requests"), 1);
  assert.equal(of("2026-01-06", "api_requests"), 1);
  assert.equal(of("2026-01-05", "rejected"), 1);
});

Deno.test("quota meter: usage kept from a failed write is summed with later counts, one row per key", async () => {
  const attempts: { orgId: string; day: string; metric: string; count: number }[][] = [];
  let down = true;
  const m = new QuotaMeter({
    limits: () => DEFAULT_QUOTAS,
    shared: () => sharedStore(),
    writeUsage: (rows) => {
      attempts.push(rows.map((r) => ({ ...r })));
      // Like Postgres' ON CONFLICT DO UPDATE: a statement that would touch one row twice fails whole.
      const keys = new Set(rows.map((r) => `${r.orgId}|${r.day}|${r.metric}`));
      if (keys.size !== rows.length) return Promise.reject(new Error("cannot affect row a second time"));
      return down ? Promise.reject(new Error("database down")) : Promise.resolve();
    },
  });
  const org = crypto.randomUUID();
  const now = Date.UTC(2026, 0, 5, 10, 0, 0);
  m.request(org, now);
  m.request(org, now);
  await m.flushUsage(); // the database is down: kept
  m.request(org, now);
  await m.flushUsage(); // still down: kept, merged
  down = false;
  m.request(org, now);
  await m.flushUsage();
  assert.equal(attempts.length, 3);
  const last = attempts[2];
  assert.deepEqual(last.map((r) => [r.day, r.metric, r.count]), [["2026-01-05", "api_requests", 4]]);
  await m.flushUsage();
  assert.equal(attempts.length, 3, "nothing left to write once written");
});

Deno.test("quotas: own settings over the defaults; Retry-After until the window's end", () => {
  assert.deepEqual(effectiveQuotas(null), DEFAULT_QUOTAS);
  assert.equal(effectiveQuotas({ assets: 3, api_keys: null }).assets, 3);
  assert.equal(effectiveQuotas({ assets: 3, api_keys: null }).api_keys, DEFAULT_QUOTAS.api_keys);
  assert.equal(secondsLeft(Date.UTC(2026, 0, 1, 0, 0, 59, 500), 60_000), 1);
  assert.equal(secondsLeft(Date.UTC(2026, 0, 1, 23, 0, 0), 86_400_000), 3600);
});

Deno.test("metrics summary: quantiles from cumulative buckets", () => {
  const buckets = [{ le: 0.01, count: 50 }, { le: 0.1, count: 90 }, { le: 1, count: 100 }, {
    le: Infinity,
    count: 100,
  }];
  assert.equal(bucketQuantile(buckets, 0.5), 0.01);
  assert.ok(Math.abs(bucketQuantile(buckets, 0.7)! - 0.055) < 1e-9);
  assert.equal(bucketQuantile([{ le: Infinity, count: 0 }], 0.5), null);
});
