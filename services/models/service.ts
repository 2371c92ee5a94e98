/**
 * The model registry wired to the app: the MLflow relay when MLFLOW_TRACKING_URI is set. Without
 * it, the registry table is the whole story and MLflow events wait in the outbox (an MLflow
 * configured later receives them, in order).
 */
import type { Database } from "../../db/database.ts";
import { createMlflowClient } from "../adapters/mlflow.ts";
import type { Config } from "../config/env.ts";
import { startMlflowRelay } from "./mlflow_relay.ts";

export interface ModelsService {
  /** Registry changes committed: deliver their MLflow events now. */
  kick(): void;
  start(): void;
  stop(): Promise<void>;
}

export function createModels(deps: {
  db: () => Database;
  config: Pick<Config, "mlflowTrackingUri" | "serviceTimeoutMs">;
  relay?: { everyMs?: number; backoffMs?: number; maxBackoffMs?: number };
}): ModelsService {
  let relay: ReturnType<typeof startMlflowRelay> | null = null;
  return {
    kick: () => relay?.kick(),
    start() {
      const uri = deps.config.mlflowTrackingUri;
      if (!uri) return;
      relay = startMlflowRelay({
        db: deps.db,
        client: createMlflowClient(uri, { timeoutMs: deps.config.serviceTimeoutMs }),
        // One event is several calls, each bounded by the service timeout: the lease outlasts them all.
        leaseMs: Math.max(60_000, deps.config.serviceTimeoutMs * 20),
        ...deps.relay,
      });
      relay.start();
    },
    async stop() {
      await relay?.stop();
      relay = null;
    },
  };
}
