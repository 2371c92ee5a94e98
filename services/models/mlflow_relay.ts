/**
 * The relay of topic `mlflow.runs`: delivers its outbox events to MLflow one at a time, in order,
 * each marked sent once MLflow has it. It never holds a transaction while MLflow is called (a hung
 * server would hold a connection, and PGlite has only one): one instance at a time delivers,
 * holding a lease row (outbox_leases) instead. While MLflow is down the first undelivered event
 * stays first and the relay backs off exponentially (with jitter); nothing is lost or reordered.
 * An event MLflow refuses outright (a 4xx with an MLflow error code: a bad request, not an outage)
 * is set aside (sent_at with last_error "rejected: …") so it cannot block the ones after it.
 */
import type { Database } from "../../db/database.ts";
import { type MlflowClient, MlflowError } from "../adapters/mlflow.ts";
import { MLFLOW_RUNS_TOPIC } from "../bids/outbox.ts";
import { log } from "../log/logger.ts";
import { deliver, type DeliveryProgress } from "./mlflow_delivery.ts";
import { mlflowEvent } from "./mlflow_events.ts";

export interface MlflowRelayOptions {
  db: () => Database;
  client: MlflowClient;
  /** Poll interval when idle (a commit kicks it sooner). */
  everyMs?: number;
  /** First retry delay after a failure; doubles per failure up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long a lease lasts without renewal: longer than one event's delivery can take. */
  leaseMs?: number;
}

export type PassResult = "idle" | "delivered" | "failed" | "busy";

/** Whether MLflow refused the request itself (retrying the same body cannot help). */
export function isRejection(e: unknown): boolean {
  return e instanceof MlflowError && e.errorCode !== null && e.httpStatus >= 400 && e.httpStatus < 500 &&
    ![401, 403, 408, 429].includes(e.httpStatus);
}

/** One pass: delivers pending events until none is left or one fails. */
export async function relayMlflowOnce(
  db: Database,
  client: MlflowClient,
  o: { holder: string; leaseMs: number; signal?: AbortSignal },
): Promise<PassResult> {
  const lease = async () =>
    (await db.query(
      `INSERT INTO outbox_leases (topic, holder, until) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (topic) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
        WHERE outbox_leases.until < now() OR outbox_leases.holder = EXCLUDED.holder
       RETURNING holder`,
      [MLFLOW_RUNS_TOPIC, o.holder, o.leaseMs],
    )).length === 1;
  if (!(await lease())) return "busy";
  let delivered = 0;
  try {
    while (!o.signal?.aborted) {
      const [row] = await db.query<{ id: string; payload: Record<string, unknown> }>(
        `SELECT p.id::text AS id, p.payload FROM outbox_pending($1, 1) p`,
        [MLFLOW_RUNS_TOPIC],
      );
      if (!row) return delivered ? "delivered" : "idle";
      const { _progress, ...payload } = row.payload;
      const parsed = mlflowEvent.safeParse(payload);
      if (!parsed.success) {
        await setAside(db, row.id, `malformed: ${parsed.error.issues[0]?.message}`);
        continue;
      }
      const progress = { ...(_progress as DeliveryProgress | undefined) };
      try {
        await deliver({
          client,
          db,
          progress,
          signal: o.signal,
          save: async (p) => {
            await db.query(
              `UPDATE outbox SET payload = jsonb_set(payload, '{_progress}', $2::jsonb) WHERE id = $1::bigint`,
              [row.id, JSON.stringify(p)],
            );
            if (!(await lease())) throw new Error("the MLflow relay lost its lease");
          },
        }, parsed.data);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (isRejection(e)) {
          log.error("mlflow rejected an event; set aside", { outbox_id: row.id, error: message });
          await setAside(db, row.id, `rejected: ${message}`);
          continue;
        }
        await db.query(
          `UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1::bigint`,
          [row.id, message.slice(0, 500)],
        );
        log.warn("mlflow delivery failed; will retry", { outbox_id: row.id, error: message });
        return "failed";
      }
      await db.query(`UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = $1::bigint`, [row.id]);
      delivered++;
    }
    return delivered ? "delivered" : "idle";
  } finally {
    await db.query(`DELETE FROM outbox_leases WHERE topic = $1 AND holder = $2`, [MLFLOW_RUNS_TOPIC, o.holder])
      .catch(() => {});
  }
}

async function setAside(db: Database, id: string, reason: string) {
  await db.query(
    `UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = $2 WHERE id = $1::bigint`,
    [id, reason.slice(0, 500)],
  );
}

/** The relay loop: a pass at start, on every kick, every `everyMs` when idle, with backoff after failures. */
export function startMlflowRelay(opts: MlflowRelayOptions) {
  const holder = crypto.randomUUID();
  const everyMs = opts.everyMs ?? 5_000;
  const backoffMs = opts.backoffMs ?? 1_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 60_000;
  const leaseMs = opts.leaseMs ?? 60_000;
  const stopping = new AbortController();
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | null = null;
  let again = false;

  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (!stopping.signal.aborted) timer = setTimeout(run, ms);
  };
  const run = () => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      let result: PassResult;
      do {
        again = false;
        try {
          result = await relayMlflowOnce(opts.db(), opts.client, { holder, leaseMs, signal: stopping.signal });
        } catch (e) {
          // The database itself: same backoff as an MLflow outage.
          log.warn("mlflow relay pass failed", { error: e instanceof Error ? e.message : String(e) });
          result = "failed";
        }
      } while (again && result !== "failed" && !stopping.signal.aborted);
      if (result === "failed") {
        failures++;
        const delay = Math.min(maxBackoffMs, backoffMs * 2 ** (failures - 1));
        schedule(delay / 2 + Math.random() * delay / 2);
      } else {
        failures = 0;
        schedule(everyMs);
      }
    })().finally(() => (running = null));
  };

  return {
    start() {
      schedule(0);
    },
    /** An event was committed: deliver soon, unless the relay is backing off from an outage. */
    kick() {
      if (failures === 0) {
        if (running) again = true;
        else schedule(50);
      }
    },
    /** Whether the last pass failed (MLflow or the database down): for tests and health details. */
    failures: () => failures,
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
