-- Price forecasts and the model registry. Both are the installation's, not an organization's:
-- they forecast public market prices, as market_prices holds them.

-- A model version: what the live job runs (the `production` one of its name) and what a
-- backtest measured. Versions are never edited after creation but for their stage.
CREATE TABLE models (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  version int NOT NULL CHECK (version > 0),
  -- Model class and its settings (windows, transform, penalty criterion, interval method).
  params jsonb NOT NULL,
  -- How much history a recalibration uses, and the backtest period its metrics cover.
  training_window jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Backtest (and later live) metrics: MAE, RMSE, sMAPE, rMAE, coverage, pinball.
  metrics jsonb NOT NULL DEFAULT '{}'::jsonb,
  stage text NOT NULL DEFAULT 'staging' CHECK (stage IN ('staging', 'production', 'archived')),
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  stage_changed_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (name, version)
);
-- At most one production version per model name: promotion archives the previous one in the
-- same transaction.
CREATE UNIQUE INDEX models_one_production ON models (name) WHERE stage = 'production';

-- One forecast of one zone's delivery day, made at `made_at` by a model version. Runs are
-- vintaged: a later run for the same day is a new row, never an overwrite, so "what was known
-- at t" is the latest run made at or before t.
CREATE TABLE forecast_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  zone text NOT NULL,
  market text NOT NULL DEFAULT 'DA' CHECK (market IN ('DA')),
  -- The zone's operating day (market clock) the forecast is for.
  delivery_date date NOT NULL,
  model_id uuid NOT NULL REFERENCES models (id),
  made_at timestamptz NOT NULL,
  -- The last price interval the recalibration saw (no look-ahead: always before delivery_date).
  data_until timestamptz NOT NULL,
  -- Whether load entered the model (zones without a load series run price-only).
  uses_load boolean NOT NULL,
  UNIQUE (zone, market, delivery_date, model_id, made_at)
);
CREATE INDEX forecast_runs_vintage ON forecast_runs (zone, market, delivery_date, made_at DESC);

-- The run's hourly forecasts: the median and the 10/90 % interval, $/MWh.
CREATE TABLE price_forecasts (
  run_id uuid NOT NULL REFERENCES forecast_runs (id) ON DELETE CASCADE,
  interval_start timestamptz NOT NULL,
  interval_end timestamptz NOT NULL,
  p10 numeric(12, 4),
  p50 numeric(12, 4) NOT NULL,
  p90 numeric(12, 4),
  PRIMARY KEY (run_id, interval_start),
  CHECK (interval_end > interval_start),
  CHECK (p50 <> 'NaN' AND p10 <> 'NaN' AND p90 <> 'NaN'),
  CHECK (p10 IS NULL OR p90 IS NULL OR (p10 <= p50 AND p50 <= p90))
);
