/**
 * What a member does with saved strategies: create, edit, delete, each in one transaction with its audit
 * entry (`strategy.created|updated|deleted`), scoped by organization. Running one is runner.ts.
 */
import type { Database, Transaction } from "../../db/database.ts";
import { audit, callerEntry } from "../auth/audit.ts";
import { getAsset } from "../assets/store.ts";
import type { Caller } from "../bids/actions.ts";
import { sideLimitMw } from "../bids/schema.ts";
import { invalid } from "../errors.ts";
import type { StrategyInput, StrategyView } from "./schema.ts";
import { getStrategy, insertStrategy, removeStrategy, updateStrategy } from "./store.ts";

function record(tx: Transaction, c: Caller, action: string, id: string, details: Record<string, unknown>) {
  return audit(tx, callerEntry(c, "strategy", action, id, details));
}

/** The strategy must fit its asset (of the caller's organization: else 404): a side the asset can take. */
async function assertFits(tx: Transaction, orgId: string, s: StrategyInput) {
  const asset = await getAsset(tx, orgId, s.asset_id);
  if (s.kind === "battery_arbitrage") {
    if (asset.kind === "storage") return;
    throw invalid(`Battery arbitrage needs a storage asset; ${asset.name} is a ${asset.kind} asset`, {
      code: "validation_failed",
      details: [{ path: "asset_id", message: "not a storage asset", code: "not_storage" }],
    });
  }
  const limit = sideLimitMw(asset, s.params.side);
  if (limit === null) {
    throw invalid(`A ${asset.kind} asset cannot ${s.params.side === "bid" ? "buy (bid)" : "sell (offer)"}`, {
      code: "validation_failed",
      details: [{ path: "params.side", message: `not a side a ${asset.kind} asset takes`, code: "side_not_allowed" }],
    });
  }
  if (s.kind === "fixed_curve") {
    const total = s.params.segments.reduce((t, x) => t + x.quantity, 0);
    if (total > limit + 1e-9) {
      throw invalid(`The curve's ${total} MW is more than the asset's ${limit} MW on that side`, {
        code: "validation_failed",
        details: [{
          path: "params.segments",
          message: `at most ${limit} MW in total`,
          code: "quantity_exceeds_capacity",
        }],
      });
    }
  }
}

export function createStrategy(db: Database, c: Caller, input: StrategyInput): Promise<StrategyView> {
  return db.transaction(async (tx) => {
    await assertFits(tx, c.principal.orgId, input);
    const id = await insertStrategy(tx, c.principal.orgId, c.principal.userId, input);
    const after = await getStrategy(tx, c.principal.orgId, id);
    await record(tx, c, "strategy.created", id, { after: input });
    return after;
  });
}

/** Replaces a strategy read at `version` (a change made since is a 409); the editor becomes its owner. */
export function editStrategy(
  db: Database,
  c: Caller,
  id: string,
  version: number,
  input: StrategyInput,
): Promise<StrategyView> {
  return db.transaction(async (tx) => {
    const before = await getStrategy(tx, c.principal.orgId, id, { lock: true });
    await assertFits(tx, c.principal.orgId, input);
    await updateStrategy(tx, c.principal.orgId, id, c.principal.userId, version, input);
    const after = await getStrategy(tx, c.principal.orgId, id);
    await record(tx, c, "strategy.updated", id, { before, after: input });
    return after;
  });
}

/** Deletes a strategy and its runs; the bids it made stay (they name it no more). */
export function deleteStrategy(db: Database, c: Caller, id: string): Promise<void> {
  return db.transaction(async (tx) => {
    const before = await getStrategy(tx, c.principal.orgId, id, { lock: true });
    await removeStrategy(tx, c.principal.orgId, id);
    await record(tx, c, "strategy.deleted", id, { before });
  });
}
