/**
 * Price alert evaluation: 10,000 alerts (random zones, markets, conditions of every kind, all/any) over
 * the simulated feed at 1,000 ticks/s, delivered as the ingest consumer does (a batch per second), through
 * the same code the app runs (services/alerts/service.ts `evaluateBatch`). Reported: CPU time per tick and
 * the share of one core the evaluation takes at 1,000 ticks/s, against a baseline measured in the same run
 * with no alerts (the context bookkeeping alone).
 */
import { type AlertDef, AlertIndex, hourOfWeek, robustBaseline } from "../services/alerts/engine.ts";
import type { Condition } from "../services/alerts/schema.ts";
import { evaluateBatch, MemoryContext } from "../services/alerts/service.ts";
import { simulateRealTime } from "../services/market/simulator.ts";
import type { PriceTick } from "../services/market/types.ts";
import { ISOS } from "../services/market/zones.ts";
import { fmt, report } from "./lib.ts";

const ALERTS = Number(Deno.env.get("BENCH_ALERTS") ?? 10_000);
const TICKS_PER_S = 1_000;
const SECONDS = Number(Deno.env.get("BENCH_ALERT_SECONDS") ?? 60);

/** Deterministic pseudo-random numbers (mulberry32), so runs compare. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomAlerts(n: number, r: () => number): AlertDef[] {
  const kinds = (): Condition => {
    const k = Math.floor(r() * 5);
    const level = Math.round(10 + r() * 150);
    if (k === 0) return { kind: "price_above", level };
    if (k === 1) return { kind: "price_below", level };
    if (k === 2) return { kind: "spread_above", level: Math.round(r() * 30) };
    if (k === 3) return { kind: "spike", k: 2 + r() * 4 };
    return { kind: "forecast_miss", amount: 5 + r() * 40 };
  };
  return Array.from({ length: n }, (_, i) => {
    const zones = ISOS.filter(() => r() < 0.3);
    return {
      id: `a${i}`,
      orgId: `org${i % 200}`,
      userId: `u${i}`,
      name: `alert ${i}`,
      zones: zones.length ? zones : [ISOS[i % ISOS.length]],
      // Most alerts watch the real-time feed, as traders do.
      market: r() < 0.85 ? "RT" : "DA",
      combine: r() < 0.5 ? "all" : "any",
      conditions: Array.from({ length: 1 + Math.floor(r() * 3) }, kinds),
      hysteresis: 2,
      cooldownMs: 15 * 60_000,
      channels: ["notification"],
      lastFiredAt: null,
      version: "1",
    };
  });
}

/** The feed: simulated RT ticks of every zone, moved to end now, `SECONDS` seconds of it at 1,000 ticks/s. */
function feed(): PriceTick[] {
  const need = TICKS_PER_S * SECONDS;
  const days = Math.ceil(need / (ISOS.length * 288)) + 1;
  const to = new Date(Date.UTC(2025, 5, 1));
  const from = new Date(to.getTime() - days * 86_400_000);
  const ticks = ISOS.flatMap((z) => simulateRealTime(z, from, to, 11))
    .sort((a, b) => a.interval_start.localeCompare(b.interval_start)).slice(-need);
  const shift = Date.now() - Date.parse(ticks.at(-1)!.interval_end);
  const moved = (iso: string) => new Date(Date.parse(iso) + shift).toISOString();
  return ticks.map((t) => ({ ...t, interval_start: moved(t.interval_start), interval_end: moved(t.interval_end) }));
}

function context(history: PriceTick[]): MemoryContext {
  const ctx = new MemoryContext();
  const samples = new Map<string, number[]>();
  for (const t of history) {
    const k = `${t.zone}|${t.market}|${hourOfWeek(Date.parse(t.interval_start))}`;
    (samples.get(k) ?? samples.set(k, []).get(k)!).push(t.lmp);
  }
  for (const [k, v] of samples) ctx.baselines.set(k, robustBaseline(v)!);
  // DA and forecast figures of every hour the feed covers: a flat-ish curve around the RT level.
  for (const t of history) {
    const h = Math.floor(Date.parse(t.interval_start) / 3_600_000) * 3_600_000;
    for (const m of [ctx.da, ctx.forecasts]) {
      (m.get(t.zone) ?? m.set(t.zone, new Map()).get(t.zone)!).set(h, t.lmp * 0.95 + 2);
    }
  }
  return ctx;
}

function run(alerts: AlertDef[], ticks: PriceTick[]): { cpuMs: number; firings: number } {
  const index = new AlertIndex();
  index.load(alerts);
  const ctx = context(ticks);
  let firings = 0;
  const at = Date.now();
  const t0 = performance.now();
  for (let i = 0; i < ticks.length; i += TICKS_PER_S) {
    firings += evaluateBatch(index, ctx, ticks.slice(i, i + TICKS_PER_S), at).length;
  }
  return { cpuMs: performance.now() - t0, firings };
}

export function benchAlerts(): Record<string, number> {
  const ticks = feed();
  const alerts = randomAlerts(ALERTS, rng(42));
  // Warm-up (JIT), then measured runs; the best of three of each.
  run(alerts, ticks.slice(0, 5_000));
  const base = Math.min(...[0, 1, 2].map(() => run([], ticks).cpuMs));
  const results = [0, 1, 2].map(() => run(alerts, ticks));
  const withAlerts = Math.min(...results.map((r) => r.cpuMs));
  const perTickUs = (withAlerts * 1000) / ticks.length;
  const baseUs = (base * 1000) / ticks.length;
  const load = Deno.loadavg();
  console.log(
    `alerts: ${ALERTS} alerts, ${ticks.length} ticks (${SECONDS} s of the feed at ${TICKS_PER_S}/s) · ` +
      `${fmt(perTickUs, 2)} µs CPU per tick (baseline, no alerts: ${fmt(baseUs, 2)} µs) · ` +
      `${fmt(perTickUs * TICKS_PER_S / 10_000, 2)} % of one core at ${TICKS_PER_S} ticks/s · ` +
      `${results[0].firings} firings · load ${load.map((l) => l.toFixed(2)).join(" ")}`,
  );
  // Issue 18 asks for the figure, not for a bound on it.
  report({
    bench: "alerts",
    figure: `${ALERTS.toLocaleString("en-US")} alerts, CPU per tick`,
    value: perTickUs,
    unit: "µs",
    baseline: { label: "no alerts", value: baseUs, unit: "µs" },
  });
  return { per_tick_us: perTickUs, baseline_per_tick_us: baseUs, core_share_pct: perTickUs * TICKS_PER_S / 10_000 };
}

if (import.meta.main) benchAlerts();
