-- System load per zone, beside its prices: what a day-ahead price model reads as its exogenous input.
-- `forecast_mw` is the day-ahead load forecast (known before the zone's DA gate for that day), `actual_mw`
-- the metered load once the hour is over; either may be missing (a replayed file may carry only one).
CREATE TABLE market_load (
  zone text NOT NULL,
  interval_start timestamptz NOT NULL,
  interval_end timestamptz NOT NULL,
  actual_mw numeric(12, 2) CHECK (actual_mw IS NULL OR actual_mw >= 0),
  forecast_mw numeric(12, 2) CHECK (forecast_mw IS NULL OR forecast_mw >= 0),
  source text NOT NULL,
  ingested_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (zone, interval_start),
  CHECK (interval_end > interval_start)
);

-- The live model's point forecasts of past days, one row per (zone, model version, day): the forecast of
-- each live run (the first one of its day) and the walk-forward forecasts made at first start (only data
-- before the day). Their errors against the prices that came are the residuals the 10/90 % band is built
-- from; they are not vintages (those are forecast_runs) and no API serves them.
CREATE TABLE forecast_backcasts (
  zone text NOT NULL,
  model_id uuid NOT NULL REFERENCES models (id) ON DELETE CASCADE,
  delivery_date date NOT NULL,
  -- 24 hour slots of the operating day (DST days mapped to 24, see services/forecast_live/dst.ts).
  point float8[] NOT NULL CHECK (cardinality(point) = 24),
  made_at timestamptz NOT NULL,
  PRIMARY KEY (zone, model_id, delivery_date)
);
