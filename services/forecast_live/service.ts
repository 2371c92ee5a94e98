/**
 * The live forecast job wired to the app. Every TICK_MS (and soon after DA prices arrive) it walks the zones
 * one at a time and runs each that is due (job.ts); the computation is in a Web Worker, so requests and
 * start-up never wait for it. One pass at a time in the process, and one across instances: on Postgres the
 * pass holds a transaction-level advisory lock (a second instance skips its pass). A zone that fails is logged
 * and tried again at the next tick; the others go on.
 */
import { counters } from "../metrics/metrics.ts";
import type { Database } from "../../db/database.ts";
import { log } from "../log/logger.ts";
import { type Iso, ISOS } from "../market/zones.ts";
import { type JobDeps, type RunOutcome, runZone } from "./job.ts";
import { type ComputeRunner, workerRunner } from "./runner.ts";

const TICK_MS = 60_000;
const FIRST_TICK_MS = 5_000;
const KICK_DELAY_MS = 2_000;

export interface ForecastLiveService {
  start(): void;
  /** DA prices arrived: run a pass soon rather than at the next tick. */
  kick(): void;
  /** One pass now (tests, or an operator): resolves with each zone's outcome, or an error per zone. */
  runOnce(opts?: { zones?: readonly Iso[]; force?: boolean }): Promise<Map<Iso, RunOutcome | Error>>;
  stop(): Promise<void>;
}

export function createForecastLive(deps: {
  enabled: boolean;
  db: () => Database;
  now?: () => number;
  runner?: ComputeRunner;
  modelName?: string;
}): ForecastLiveService {
  const runner = deps.runner ?? workerRunner();
  const job: JobDeps = { db: deps.db, runner, now: deps.now ?? Date.now, modelName: deps.modelName };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let passing: Promise<Map<Iso, RunOutcome | Error>> | null = null;
  let stopped = false;

  async function pass(zones: readonly Iso[], force: boolean): Promise<Map<Iso, RunOutcome | Error>> {
    const out = new Map<Iso, RunOutcome | Error>();
    const run = async () => {
      for (const zone of zones) {
        if (stopped) break;
        try {
          const r = await runZone(job, zone, { force });
          out.set(zone, r);
          counters.forecastRuns.inc({ status: r.status });
          if (r.status === "stored") {
            log.info("forecast stored", {
              zone,
              delivery_date: r.run.deliveryDate,
              model: `${r.run.model.name} v${r.run.model.version}`,
              windows: r.run.windows.join(","),
              uses_load: r.run.usesLoad,
              banded: r.run.banded,
              backcasts: r.run.backcasts,
              cpu_ms: Math.round(r.run.cpuMs),
            });
          }
        } catch (e) {
          out.set(zone, e instanceof Error ? e : new Error(String(e)));
          counters.forecastRuns.inc({ status: "failed" });
          log.error("forecast run failed; retrying next tick", {
            zone,
            error: e instanceof Error ? e.message : String(e),
          });
        }
      }
    };
    const db = deps.db();
    if (db.kind === "pglite") await run(); // one process owns a PGlite data directory
    else {
      await db.transaction(async (tx) => {
        const [{ locked }] = await tx.query<{ locked: boolean }>(
          `SELECT pg_try_advisory_xact_lock(hashtext('optibid.forecast_job')) AS locked`,
        );
        if (locked) await run();
      });
    }
    return out;
  }

  function runPass(zones: readonly Iso[], force: boolean) {
    // Passes never overlap in a process: a caller during a pass waits for it, then runs its own.
    const next = (passing ?? Promise.resolve(new Map())).catch(() => new Map()).then(() => pass(zones, force));
    passing = next;
    next.finally(() => {
      if (passing === next) passing = null;
    }).catch(() => {});
    return next;
  }

  function schedule(ms: number) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        await runPass(ISOS, false);
      } catch (e) {
        log.error("forecast pass failed", { error: e instanceof Error ? e.message : String(e) });
      }
      schedule(TICK_MS);
    }, ms);
  }

  return {
    start() {
      if (deps.enabled) schedule(FIRST_TICK_MS);
    },
    kick() {
      if (deps.enabled && !passing) schedule(KICK_DELAY_MS);
    },
    runOnce: (opts = {}) => runPass(opts.zones ?? ISOS, opts.force ?? false),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      runner.stop();
      await passing?.catch(() => {});
    },
  };
}
