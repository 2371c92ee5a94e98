-- Delivery of model runs to MLflow (services/models/mlflow_relay.ts).

-- A relay that calls a slow external system must not hold a database transaction (or the one
-- PGlite connection) while it waits: it holds a lease on its topic instead, renewed as it goes,
-- so one instance at a time delivers a topic's events, in order.
CREATE TABLE outbox_leases (
  topic text PRIMARY KEY,
  holder text NOT NULL,
  until timestamptz NOT NULL
);

-- Which MLflow model version a registry row became: MLflow numbers its versions itself, and the
-- `production` alias on promotion must name MLflow's number, not ours.
CREATE TABLE mlflow_model_versions (
  model_id uuid PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
  run_id text NOT NULL,
  mlflow_version text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
