-- Market prices ($/MWh) by zone, market (DA hourly, RT 5-minute) and interval. Public market
-- data, not owned by an organization. One row per (zone, market, interval_start): ingest
-- upserts, so a redelivered or revised tick replaces the row instead of duplicating it.
CREATE TABLE market_prices (
  zone text NOT NULL,
  market text NOT NULL CHECK (market IN ('DA', 'RT')),
  interval_start timestamptz NOT NULL,
  interval_end timestamptz NOT NULL,
  lmp numeric(12, 4) NOT NULL,
  energy numeric(12, 4) NOT NULL,
  congestion numeric(12, 4) NOT NULL,
  loss numeric(12, 4) NOT NULL,
  source text NOT NULL,
  ingested_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (zone, market, interval_start),
  CHECK (interval_end > interval_start),
  -- numeric accepts 'NaN'; a price never is.
  CHECK (lmp <> 'NaN' AND energy <> 'NaN' AND congestion <> 'NaN' AND loss <> 'NaN')
);
