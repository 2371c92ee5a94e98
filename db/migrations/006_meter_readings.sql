-- Metered net injection of an asset per interval: what it actually did, against which a day-ahead
-- position settles its real-time deviation. Signed as positions are (services/bids/clearing.ts):
-- + generation or discharge, − consumption or charge. One reading per asset and interval start; writing
-- the same start again is a correction.

CREATE TABLE meter_readings (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  -- An asset with bids cannot be deleted (services/assets/store.ts), so the readings that went into a
  -- settlement stay; an asset without bids takes its readings with it.
  asset_id uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  interval_start timestamptz NOT NULL,
  interval_end timestamptz NOT NULL,
  mw numeric(12, 4) NOT NULL CHECK (mw <> 'NaN'),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  recorded_by uuid REFERENCES users (id) ON DELETE SET NULL,
  -- org_id first: every query is scoped by it, and this index serves them all (an asset's range of time).
  PRIMARY KEY (org_id, asset_id, interval_start),
  CHECK (interval_end > interval_start)
);
