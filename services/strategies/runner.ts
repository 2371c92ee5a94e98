/**
 * Running a strategy for a delivery day: read what it needs (the asset, the live forecast, the owner's
 * membership, the approval policy), plan the bids (plan.ts), create them through the bid actions, and
 * record the run (its live event, its notification: `strategy.run_completed`, or `strategy.run_failed` when the day
 * cannot be bid — gate closed, owner gone, bids refused) — all in one transaction, so a run and its bids commit
 * together or not at all; `strategy_runs_total` counts it once committed.
 *
 * Exactly once per strategy and day, however many instances run it: the transaction locks the
 * strategy's row first (a second runner waits, then finds the day's run made), and a unique index on
 * (strategy, day) for runs that made bids backs that up. A run that makes nothing records why (no forecast
 * yet, the gate closed, the owner left…); the schedule tries again at its next tick, recording a reason
 * only when it changes.
 */
import type { Database, Queryable } from "../../db/database.ts";
import { audit } from "../auth/audit.ts";
import { can, type Role } from "../auth/rbac.ts";
import { getAsset } from "../assets/store.ts";
import { createBatchIn } from "../bids/actions.ts";
import { getPolicy } from "../bids/approval.ts";
import { BID_EVENTS_TOPIC, enqueueEvent } from "../bids/outbox.ts";
import { DomainError } from "../errors.ts";
import { forecastsAsOf } from "../forecast_live/store.ts";
import { counters } from "../metrics/metrics.ts";
import { publishEvent } from "../notifications/events.ts";
import { operatingDayHours } from "../market/market_time.ts";
import { gateClosureUtc, type Iso, nextGateClosure } from "../market/zones.ts";
import { type HourForecast, planDay, type PlanStrategy } from "./plan.ts";
import { arbitragePlan } from "./arbitrage.ts";
import type { z } from "zod";
import type { batteryArbitrageParams, StrategyRunView, StrategyView } from "./schema.ts";
import { createdRun, getStrategy, insertRun, latestRun, type NewRun } from "./store.ts";

export interface RunDeps {
  db: Database;
  /** After a commit: relay the bid events now. */
  kick?: () => void;
}

export interface RunRequest {
  orgId: string;
  strategyId: string;
  /** Operating day; default: the delivery day of the zone's next DA gate. */
  date?: string;
  trigger: "schedule" | "manual";
  /** Who pressed "Run now" (null for the schedule). */
  actorUserId?: string | null;
  ip?: string | null;
}

/** What a run did: `already` when the day's bids had been made by an earlier run (returned as `run`). */
export interface RunResult {
  run: StrategyRunView;
  already: boolean;
}

/** Refusals that mean "this run makes nothing" rather than a fault: they are recorded as the reason. */
const EXPECTED: readonly string[] = ["invalid", "conflict", "not_found", "unprocessable"];

/** The day a run is for when none is named: the next gate's. */
export function defaultDay(zone: Iso, now: Date): string {
  return nextGateClosure(zone, now).deliveryDate;
}

/** Whether the schedule runs `s` now: from `lead_minutes` before the gate of the next delivery day. */
export function dueDay(s: { zone: string; lead_minutes: number }, now: Date): string | null {
  const next = nextGateClosure(s.zone as Iso, now);
  return now.getTime() >= next.closesAt.getTime() - s.lead_minutes * 60_000 ? next.deliveryDate : null;
}

export async function runStrategy(deps: RunDeps, req: RunRequest, now = new Date()): Promise<RunResult> {
  let date = req.date;
  let strategy: StrategyView | null = null;
  // What the transaction recorded, counted only once it has committed.
  let recorded: RunStatus | null = null;
  const record = async (
    tx: Queryable,
    r: Omit<NewRun, "orgId" | "strategyId" | "date" | "trigger" | "actorUserId">,
    failed = false,
  ) => {
    const run = await insertRun(tx, {
      orgId: req.orgId,
      strategyId: req.strategyId,
      date: date!,
      trigger: req.trigger,
      actorUserId: req.actorUserId ?? null,
      ...r,
    });
    await enqueueEvent(tx, BID_EVENTS_TOPIC, req.strategyId, {
      type: "strategy.run",
      org_id: req.orgId,
      ...runFacts(run, strategy),
      at: run.at,
    });
    await publishEvent(
      tx,
      req.orgId,
      failed ? "strategy.run_failed" : "strategy.run_completed",
      runEvent(run, strategy, failed),
    );
    recorded = failed ? "failed" : run.outcome === "created" ? "created" : "nothing";
    await audit(tx, {
      orgId: req.orgId,
      actorUserId: req.actorUserId ?? null,
      action: "strategy.run",
      targetType: "strategy",
      targetId: req.strategyId,
      ip: req.ip ?? null,
      details: {
        run_id: run.id,
        delivery_date: run.delivery_date,
        trigger: run.trigger,
        outcome: run.outcome,
        bids: run.bid_ids.length,
        bid_status: run.bid_status,
        reason: run.reason,
      },
    });
    return run;
  };

  try {
    const out = await deps.db.transaction(async (tx): Promise<RunResult> => {
      // The lock that makes a day's run happen once: a second runner waits here, then sees the run.
      strategy = await getStrategy(tx, req.orgId, req.strategyId, { lock: true });
      const zone = strategy.zone as Iso;
      date ??= defaultDay(zone, now);
      const made = await createdRun(tx, strategy.id, date);
      if (made) return { run: made, already: true };
      // `failed`: the day cannot be bid as things stand (the gate, the owner), not merely "nothing to do yet".
      const nothing = async (reason: string, failed = false): Promise<RunResult> => {
        if (req.trigger === "schedule") {
          // The schedule retries every tick: the same reason again is not news.
          const last = await latestRun(tx, strategy!.id, date!);
          if (last?.outcome === "nothing" && last.reason === reason) return { run: last, already: false };
        }
        return { run: await record(tx, { outcome: "nothing", reason }, failed), already: false };
      };

      const gate = gateClosureUtc(zone, date);
      if (now.getTime() >= gate.getTime()) return await nothing(`the ${zone} DA gate for ${date} has closed`, true);
      if (!strategy.owner_user_id) {
        return await nothing("its owner is no longer a member; edit it to take it over", true);
      }
      const [owner] = await tx.query<{ role: Role; approver: boolean }>(
        `SELECT m.role, m.approver FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.org_id = $1 AND m.user_id = $2 AND u.status = 'active'`,
        [req.orgId, strategy.owner_user_id],
      );
      if (!owner || !can(owner.role, "bids:write")) {
        return await nothing(
          `its owner (${strategy.owner_email}) may no longer write bids; edit it to take it over`,
          true,
        );
      }

      const asset = await getAsset(tx, req.orgId, strategy.asset_id);
      const hours = operatingDayHours(zone, date);
      const forecast = new Map<number, HourForecast>();
      if (strategy.kind === "forecast_following") {
        const items = await forecastsAsOf(tx, zone, hours[0].start, hours[hours.length - 1].end, now);
        for (const f of items) forecast.set(Date.parse(f.interval_start), f);
      }
      const plan = strategy.kind === "battery_arbitrage"
        ? await arbitragePlan(
          tx,
          req.orgId,
          asset.id,
          date,
          strategy.params as z.infer<typeof batteryArbitrageParams>,
          now,
        )
        : planDay(
          { kind: strategy.kind as PlanStrategy["kind"], params: strategy.params as PlanStrategy["params"] },
          asset,
          hours,
          forecast,
        );
      if ("nothing" in plan) return await nothing(plan.nothing);

      const policy = await getPolicy(tx, req.orgId);
      const submit = strategy.submit && policy.strategies_may_submit;
      const { items } = await createBatchIn(
        tx,
        {
          principal: { orgId: req.orgId, userId: strategy.owner_user_id, role: owner.role, approver: owner.approver },
          ip: req.ip ?? null,
          strategyId: strategy.id,
        },
        { bids: plan.bids, submit },
        now,
      );
      const statuses = [...new Set(items.map((b) => b.status))];
      const run = await record(tx, {
        outcome: "created",
        bidIds: items.map((b) => b.id),
        bidStatus: statuses.join(","),
        reason: strategy.submit && !policy.strategies_may_submit
          ? "kept as drafts: the organization's policy does not let strategies submit"
          : null,
      });
      return { run, already: false };
    });
    counted(recorded);
    deps.kick?.();
    return out;
  } catch (e) {
    const refused = e instanceof DomainError && EXPECTED.includes(e.kind);
    // A fault, not a refusal: nothing recorded, the schedule tries again; counted so it shows.
    if (!refused) counters.strategyRuns.inc({ status: "error" });
    if (!refused || !date || !strategy) throw e;
    // The bids were refused (the market's rules, the asset's commitments…): nothing was made; say why.
    const reason = e.message;
    recorded = null;
    const out = await deps.db.transaction(async (tx): Promise<RunResult> => {
      await getStrategy(tx, req.orgId, req.strategyId, { lock: true });
      const made = await createdRun(tx, req.strategyId, date!);
      if (made) return { run: made, already: true };
      const last = req.trigger === "schedule" ? await latestRun(tx, req.strategyId, date!) : null;
      if (last?.outcome === "nothing" && last.reason === reason) return { run: last, already: false };
      return { run: await record(tx, { outcome: "nothing", reason }, true), already: false };
    });
    counted(recorded);
    deps.kick?.();
    return out;
  }
}

/**
 * `strategy_runs_total`'s outcome: bids made, nothing to make yet, or a run that could not bid the day
 * (and `error`: a fault that recorded nothing).
 */
type RunStatus = "created" | "nothing" | "failed";

function counted(status: RunStatus | null): void {
  if (status) counters.strategyRuns.inc({ status });
}

/** What a run did, as both its live event and its notification event carry it. */
function runFacts(run: StrategyRunView, strategy: StrategyView | null) {
  return {
    strategy_id: run.strategy_id,
    strategy_name: strategy?.name ?? null,
    run_id: run.id,
    delivery_date: run.delivery_date,
    trigger: run.trigger,
    outcome: run.outcome,
    bid_ids: run.bid_ids,
    bid_status: run.bid_status,
    reason: run.reason,
  };
}

/** The `strategy.run_*` event: what webhooks receive, and the notification's words. */
function runEvent(run: StrategyRunView, strategy: StrategyView | null, failed: boolean): Record<string, unknown> {
  const name = strategy?.name ?? "A strategy";
  const bids = run.bid_ids.length;
  return {
    ...runFacts(run, strategy),
    title: failed ? `Strategy run failed: ${name}` : `Strategy run completed: ${name}`,
    message: run.outcome === "created"
      ? `${name} made ${bids} bid${bids === 1 ? "" : "s"} (${run.bid_status}) for ${run.delivery_date}` +
        (run.reason ? `: ${run.reason}` : "")
      : `${name} made no bids for ${run.delivery_date}: ${run.reason ?? "nothing to bid"}`,
    level: failed ? "warning" : "info",
  };
}
