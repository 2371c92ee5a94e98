/**
 * Price alerts on this instance: the engine (./engine.ts) fed with every committed batch of ticks, its
 * alerts reloaded whenever the table changes (a change here reloads at once; another instance's change
 * is seen by a fingerprint poll every 2 s — one tiny query, never one per tick), and the figures the
 * conditions compare with kept in memory: DA and RT prices of recent hours from the ticks themselves,
 * hour-of-week baselines (28 days) and the live forecasts, refreshed hourly and when forecasts are made.
 *
 * A firing is written to the alert history and published as an `alert.fired` event in one transaction;
 * the notification dispatcher delivers it to the alert's channels.
 */
import type { Database } from "../../db/database.ts";
import { log } from "../log/logger.ts";
import type { PriceTick } from "../market/types.ts";
import { publishEvent } from "../notifications/events.ts";
import { type AlertContext, AlertIndex, type Baseline, type Firing, hourOfWeek, robustBaseline } from "./engine.ts";
import { alertsVersion, loadAlertDefs } from "./store.ts";

const HOUR = 3_600_000;
const KEEP_HOURS = 72;
/** Ticks whose interval ended longer ago than this are history, not news. */
const STALE_MS = 2 * HOUR;

/** The context the engine reads, filled from ticks and periodic loads. */
export class MemoryContext implements AlertContext {
  readonly da = new Map<string, Map<number, number>>();
  readonly rt = new Map<string, Map<number, number>>();
  baselines = new Map<string, Baseline>();
  forecasts = new Map<string, Map<number, number>>();

  observe(t: PriceTick): void {
    const hour = Math.floor(Date.parse(t.interval_start) / HOUR) * HOUR;
    const maps = t.market === "DA" ? this.da : this.rt;
    let m = maps.get(t.zone);
    if (!m) maps.set(t.zone, m = new Map());
    m.set(hour, t.lmp);
    // Bounded: keep a few days around the newest hour.
    if (m.size > KEEP_HOURS * 2) {
      for (const h of m.keys()) if (h < hour - KEEP_HOURS * HOUR) m.delete(h);
    }
  }
  daPrice(zone: string, hourMs: number) {
    return this.da.get(zone)?.get(hourMs);
  }
  rtPrice(zone: string, hourMs: number) {
    return this.rt.get(zone)?.get(hourMs);
  }
  baseline(zone: string, market: string, how: number) {
    return this.baselines.get(`${zone}|${market}|${how}`);
  }
  forecast(zone: string, hourMs: number) {
    return this.forecasts.get(zone)?.get(hourMs);
  }
}

/** A committed batch through the engine: the context learns each tick, then the tick's alerts are checked. */
export function evaluateBatch(
  index: AlertIndex,
  ctx: MemoryContext,
  ticks: readonly PriceTick[],
  at: number,
): Firing[] {
  const firings: Firing[] = [];
  // In time order within a batch, so hysteresis and cooldown see the prices as they happened.
  const ordered = ticks.length > 1
    ? [...ticks].sort((a, b) => Date.parse(a.interval_start) - Date.parse(b.interval_start))
    : ticks;
  for (const t of ordered) {
    ctx.observe(t);
    // A backfill or a replay of old days informs baselines but alerts nobody: alerts are about now.
    if (index.size && Date.parse(t.interval_end) >= at - STALE_MS) firings.push(...index.evaluate(t, ctx, at));
  }
  return firings;
}

export async function loadBaselines(db: Database, now: number): Promise<Map<string, Baseline>> {
  // Hourly values (RT averaged to the hour) of the last 28 days: 4 samples per hour of the week.
  const rows = await db.query<{ zone: string; market: string; hour: number; lmp: number }>(
    `SELECT zone, market, (extract(epoch FROM date_trunc('hour', interval_start)) * 1000)::float8 AS hour,
            avg(lmp)::float8 AS lmp
       FROM market_prices
      WHERE interval_start >= to_timestamp($1::double precision / 1000) - interval '28 days'
        AND interval_start < to_timestamp($1::double precision / 1000)
      GROUP BY 1, 2, 3`,
    [now],
  );
  const samples = new Map<string, number[]>();
  for (const r of rows) {
    const k = `${r.zone}|${r.market}|${hourOfWeek(r.hour)}`;
    const list = samples.get(k) ?? [];
    list.push(r.lmp);
    samples.set(k, list);
  }
  const out = new Map<string, Baseline>();
  for (const [k, v] of samples) {
    const b = robustBaseline(v);
    if (b) out.set(k, b);
  }
  return out;
}

export async function loadForecasts(db: Database, now: number): Promise<Map<string, Map<number, number>>> {
  const rows = await db.query<{ zone: string; hour: number; p50: number }>(
    `SELECT DISTINCT ON (r.zone, pf.interval_start) r.zone,
            (extract(epoch FROM pf.interval_start) * 1000)::float8 AS hour, pf.p50::float8 AS p50
       FROM forecast_runs r JOIN price_forecasts pf ON pf.run_id = r.id
      WHERE r.delivery_date BETWEEN (to_timestamp($1::double precision / 1000) - interval '2 days')::date
                                AND (to_timestamp($1::double precision / 1000) + interval '2 days')::date
      ORDER BY r.zone, pf.interval_start, r.made_at DESC`,
    [now],
  );
  const out = new Map<string, Map<number, number>>();
  for (const r of rows) {
    let m = out.get(r.zone);
    if (!m) out.set(r.zone, m = new Map());
    m.set(r.hour, r.p50);
  }
  return out;
}

export async function recordFirings(db: Database, firings: Firing[]): Promise<void> {
  if (!firings.length) return;
  await db.transaction(async (tx) => {
    for (const f of firings) {
      const a = f.alert;
      const [alive] = await tx.query<{ id: string }>(
        `UPDATE price_alerts SET last_fired_at = to_timestamp($3::double precision / 1000)
          WHERE id = $1 AND org_id = $2 AND enabled RETURNING id`,
        [a.id, a.orgId, f.at],
      );
      // Removed or switched off since the engine loaded it.
      if (!alive) continue;
      await tx.query(
        `INSERT INTO price_alert_history (org_id, alert_id, zone, market, interval_start, price, observed, fired_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, to_timestamp($8::double precision / 1000))`,
        [
          a.orgId,
          a.id,
          f.tick.zone,
          f.tick.market,
          f.tick.interval_start,
          f.tick.lmp,
          JSON.stringify(f.observed),
          f.at,
        ],
      );
      const parts = Object.entries(f.observed).filter(([k, v]) => !k.startsWith("price") && v !== null)
        .map(([k, v]) => `${k.replace("_", " ")} ${Number(v).toFixed(2)}`);
      await publishEvent(tx, a.orgId, "alert.fired", {
        alert_id: a.id,
        user_id: a.userId,
        channels: a.channels,
        level: "warning",
        title: `Alert: ${a.name}`.slice(0, 160),
        message: `${a.name}: ${f.tick.zone} ${f.tick.market} at $${f.tick.lmp.toFixed(2)}/MWh` +
          (parts.length ? ` (${parts.join(", ")})` : ""),
        zone: f.tick.zone,
        market: f.tick.market,
        interval_start: f.tick.interval_start,
        price: f.tick.lmp,
        observed: f.observed,
      });
    }
  });
}

export function createAlerts(deps: { db: () => Database; onFired?: () => void; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const index = new AlertIndex();
  const ctx = new MemoryContext();
  let version = "";
  let timers: ReturnType<typeof setInterval>[] = [];
  let writing: Promise<void> = Promise.resolve();
  let reloading: Promise<void> | null = null;

  const reload = (force = false): Promise<void> => {
    reloading ??= (async () => {
      try {
        const db = deps.db();
        const v = await alertsVersion(db);
        if (v !== version || force) {
          index.load(await loadAlertDefs(db));
          version = v;
        }
      } catch (e) {
        log.warn("price alerts not reloaded", { error: e instanceof Error ? e.message : String(e) });
      }
    })().finally(() => (reloading = null));
    return reloading;
  };
  const refreshFigures = async () => {
    try {
      ctx.baselines = await loadBaselines(deps.db(), now());
      ctx.forecasts = await loadForecasts(deps.db(), now());
    } catch (e) {
      log.warn("price alert baselines not loaded", { error: e instanceof Error ? e.message : String(e) });
    }
  };

  return {
    index,
    context: ctx,
    /** A committed batch: evaluated at once, in memory; firings are written in the background, in order. */
    onTicks(ticks: readonly PriceTick[]): void {
      const firings = evaluateBatch(index, ctx, ticks, now());
      if (!firings.length) return;
      writing = writing.then(() => recordFirings(deps.db(), firings)).then(() => deps.onFired?.()).catch((e) =>
        log.warn("price alert firings not recorded", { error: e instanceof Error ? e.message : String(e) })
      );
    },
    /** An alert changed on this instance: reload now. */
    changed: () => reload(true),
    refreshFigures,
    /** Resolves when the firings so far are written (tests). */
    settled: () => writing,
    async start() {
      await reload(true);
      void refreshFigures();
      timers = [setInterval(() => void reload(), 2_000), setInterval(() => void refreshFigures(), HOUR)];
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      await reloading;
      await writing;
    },
  };
}

export type AlertsService = ReturnType<typeof createAlerts>;
