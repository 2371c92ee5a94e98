/**
 * The strategy runner wired to the app: every TICK_MS it looks at every enabled strategy and runs those
 * whose time has come (`lead_minutes` before their zone's next DA gate) and whose day has no bids made
 * yet, in organizations that have the `strategies` feature. Every instance may tick: runner.ts makes each day's run happen once across them. A failure is
 * logged and tried again at the next tick.
 */
import type { Database } from "../../db/database.ts";
import { featureEnabledIn } from "../admin/store.ts";
import { log } from "../log/logger.ts";
import { dueDay, runStrategy } from "./runner.ts";
import { createdRun, enabledStrategies } from "./store.ts";

const TICK_MS = 60_000;
const FIRST_TICK_MS = 5_000;

export interface StrategiesService {
  start(): void;
  /** One pass now (tests, or an operator): the strategies it ran. */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

export function createStrategies(deps: {
  enabled: boolean;
  db: () => Database;
  kick: () => void;
  now?: () => Date;
}): StrategiesService {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let passing: Promise<number> | null = null;
  let stopped = false;

  async function pass(): Promise<number> {
    const db = deps.db();
    const now = deps.now?.() ?? new Date();
    let ran = 0;
    for (const s of await enabledStrategies(db)) {
      if (stopped) break;
      const date = dueDay(s, now);
      // A cheap look first: a day already made is the common case, and needs no lock.
      if (!date || await createdRun(db, s.id, date)) continue;
      // An organization without the strategies feature has its strategies kept, not run.
      if (!await featureEnabledIn(db, s.org_id, "strategies")) continue;
      try {
        const r = await runStrategy({ db, kick: deps.kick }, {
          orgId: s.org_id,
          strategyId: s.id,
          date,
          trigger: "schedule",
        }, now);
        if (!r.already) ran++;
        if (r.run.outcome === "created" && !r.already) {
          log.info("strategy run made bids", { strategy: s.id, delivery_date: date, bids: r.run.bid_ids.length });
        }
      } catch (e) {
        log.error("strategy run failed; retrying next tick", {
          strategy: s.id,
          delivery_date: date,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
    return ran;
  }

  function tick(): Promise<number> {
    passing ??= pass().finally(() => (passing = null));
    return passing;
  }

  function schedule(ms: number) {
    if (stopped) return;
    timer = setTimeout(async () => {
      try {
        await tick();
      } catch (e) {
        log.error("strategy pass failed", { error: e instanceof Error ? e.message : String(e) });
      }
      schedule(TICK_MS);
    }, ms);
  }

  return {
    start() {
      if (deps.enabled) schedule(FIRST_TICK_MS);
    },
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await passing?.catch(() => {});
    },
  };
}
