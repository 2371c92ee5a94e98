/**
 * The model registry's actions: register a version, list and read them, promote one to
 * production and roll back. API routes and the /models page both call these; each change is one
 * transaction with its audit entry and its MLflow event (outbox), and kicks the MLflow relay after
 * the commit.
 *
 * Who may change stages: a promotion changes the forecasts every organization sees, so besides
 * `models:promote` (an organization's admin) the caller must be the platform operator
 * (OPERATOR_EMAILS). An organization's admin who is not the operator may read, not promote.
 */
import type { Database, Queryable } from "../../db/database.ts";
import { audit, callerEntry } from "../auth/audit.ts";
import type { Principal } from "../auth/principal.ts";
import { can } from "../auth/rbac.ts";
import { conflict, forbidden, invalid, notFound } from "../errors.ts";
import type { Page } from "../pagination.ts";
import { enqueueAlias, enqueueRun, type TrainingRun } from "./mlflow_events.ts";
import { type ModelListQuery, type ModelView, type RegisterInput, registerInput, type StageChange } from "./schema.ts";
import * as store from "./store.ts";

export interface ModelDeps {
  db: Database;
  /** A change committed: deliver its MLflow events now rather than at the next tick. */
  kick?: () => void;
}

export interface ModelCaller {
  principal: Principal;
  /** Whether the caller is the platform operator (services/auth/operator.ts `isOperator`). */
  operator: boolean;
  ip?: string | null;
}

export const OPERATOR_ONLY_MESSAGE = "Promoting or rolling back a model changes the forecasts of every organization: " +
  "only the platform operator (OPERATOR_EMAILS) may do it";

/** Whether `caller` may promote and roll back (what the page asks before showing the buttons). */
export function mayPromote(caller: Pick<ModelCaller, "principal" | "operator">): boolean {
  return can(caller.principal.role, "models:promote") && caller.operator;
}

function requirePromoter(caller: ModelCaller): void {
  if (!can(caller.principal.role, "models:promote")) {
    throw forbidden(`Your role (${caller.principal.role}) does not allow this (models:promote)`);
  }
  if (!caller.operator) throw forbidden(OPERATOR_ONLY_MESSAGE, { code: "forbidden" });
}

export interface RegisterOptions {
  /** Who registers (null: a script such as `deno task backtest --register`). */
  createdBy?: string | null;
  /** The run that produced the version, logged to MLflow with it (default: a training run with no report). */
  run?: Omit<TrainingRun, "model_id">;
}

/**
 * Registers a new version of `input.name` (version = the name's highest + 1) in stage `staging`,
 * inside `tx` (the caller's transaction), and enqueues its MLflow run and model version.
 */
export async function registerModelIn(
  tx: Queryable,
  input: RegisterInput,
  opts: RegisterOptions = {},
): Promise<ModelView> {
  const parsed = registerInput.safeParse(input);
  if (!parsed.success) {
    throw invalid("Invalid model version", {
      details: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  const m = parsed.data;
  await store.lockName(tx, m.name);
  const model = await store.insertVersion(tx, {
    name: m.name,
    params: m.params,
    trainingWindow: m.training_window,
    metrics: m.metrics,
    createdBy: opts.createdBy ?? null,
  });
  const now = new Date();
  const run: TrainingRun = {
    kind: "training",
    started_at: now,
    ended_at: now,
    ...opts.run,
    model_id: model.id,
    params: { ...m.params, ...opts.run?.params },
    metrics: { ...m.metrics, ...opts.run?.metrics },
  };
  await enqueueRun(tx, model, run, true);
  return model;
}

/** `registerModelIn` in a transaction of its own. */
export async function registerModel(deps: ModelDeps, input: RegisterInput, opts: RegisterOptions = {}) {
  const model = await deps.db.transaction((tx) => registerModelIn(tx, input, opts));
  deps.kick?.();
  return model;
}

export function listModels(q: Queryable, query: ModelListQuery): Promise<Page<ModelView>> {
  return store.listModels(q, query);
}

export async function getModel(q: Queryable, id: string): Promise<ModelView> {
  const model = await store.getModel(q, id);
  if (!model) throw notFound("No such model version", { code: "model_not_found" });
  return model;
}

/**
 * Makes version `id` its name's production version; the one before is archived, in the same
 * transaction (one production per name). Already production: nothing changes (`changed: false`),
 * no audit entry, no MLflow event.
 */
export async function promoteModel(deps: ModelDeps, caller: ModelCaller, id: string): Promise<StageChange> {
  // An unknown id is 404 whoever asks: the registry is readable by every forecast reader anyway.
  const found = await getModel(deps.db, id);
  requirePromoter(caller);
  const out = await deps.db.transaction(async (tx) => {
    await store.lockName(tx, found.name);
    const model = await getModel(tx, id);
    const previous = await store.productionOf(tx, model.name);
    if (previous?.id === model.id) return { model, previous: null, changed: false };
    return await changeProduction(tx, caller, model, previous, "model.promoted");
  });
  if (out.changed) deps.kick?.();
  return out;
}

/**
 * Restores `name`'s previous production version: the archived one whose stage changed last (the
 * current production one, if any, is archived). Rolling back twice returns to where it started,
 * as an undo does. 409 when there is none, 404 for a name the registry does not know.
 */
export async function rollbackModel(deps: ModelDeps, caller: ModelCaller, name: string): Promise<StageChange> {
  requirePromoter(caller);
  const out = await deps.db.transaction(async (tx) => {
    await store.lockName(tx, name);
    const target = await store.lastArchived(tx, name);
    const current = await store.productionOf(tx, name);
    if (!target) {
      const [{ known }] = await tx.query<{ known: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM models WHERE name = $1) AS known`,
        [name],
      );
      if (!known) throw notFound(`No model named ${name}`, { code: "model_not_found" });
      throw conflict(`${name} has no earlier production version to roll back to`, { code: "no_previous_version" });
    }
    return await changeProduction(tx, caller, target, current, "model.rolled_back");
  });
  deps.kick?.();
  return out;
}

async function changeProduction(
  tx: Queryable,
  caller: ModelCaller,
  model: ModelView,
  previous: ModelView | null,
  action: "model.promoted" | "model.rolled_back",
): Promise<StageChange> {
  // The old production row first: the partial unique index allows one production row per name at any moment.
  if (previous) await store.setStage(tx, previous.id, "archived");
  await store.setStage(tx, model.id, "production");
  await audit(
    tx,
    callerEntry(caller, "model", action, model.id, {
      name: model.name,
      version: model.version,
      from_stage: model.stage,
      previous: previous ? { id: previous.id, version: previous.version } : null,
    }),
  );
  await enqueueAlias(tx, model);
  const after = await getModel(tx, model.id);
  const prevAfter = previous ? await getModel(tx, previous.id) : null;
  return { model: after, previous: prevAfter, changed: true };
}
export { logTrainingRun, type TrainingRun } from "./mlflow_events.ts";
