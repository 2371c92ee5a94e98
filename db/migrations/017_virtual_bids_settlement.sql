-- Virtual bids (INC/DEC) live in the bids table, beside physical ones: one lifecycle, one history, one outbox.
-- A virtual bid has no asset but a pricing location (hub or node) and a side inc/dec; it is DA only.
ALTER TABLE bids ALTER COLUMN asset_id DROP NOT NULL;
ALTER TABLE bids ADD COLUMN kind text NOT NULL DEFAULT 'physical' CHECK (kind IN ('physical', 'virtual'));
ALTER TABLE bids ADD COLUMN location text CHECK (char_length(location) BETWEEN 1 AND 64);
-- The per-MWh fee (ISO uplift) charged on a settled virtual position; part of `revenue`, not of da/rt_revenue.
ALTER TABLE bids ADD COLUMN fee numeric(14, 4);
ALTER TABLE bids DROP CONSTRAINT bids_side_check;
ALTER TABLE bids ADD CONSTRAINT bids_side_check CHECK (side IN ('offer', 'bid', 'inc', 'dec'));
ALTER TABLE bids ADD CONSTRAINT bids_kind_shape CHECK (
  (kind = 'physical' AND asset_id IS NOT NULL AND location IS NULL AND side IN ('offer', 'bid'))
  OR (kind = 'virtual' AND asset_id IS NULL AND location IS NOT NULL AND side IN ('inc', 'dec') AND market = 'DA')
);
-- The credit check sums the pending virtuals of one organization.
CREATE INDEX bids_virtual_pending ON bids (org_id) WHERE kind = 'virtual' AND status IN ('submitted', 'cleared');

-- Per organization: the credit limit on the notional exposure of pending virtual bids, and the fee per MWh.
CREATE TABLE virtual_settings (
  org_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  credit_limit numeric(14, 2) NOT NULL DEFAULT 0 CHECK (credit_limit >= 0),
  fee_per_mwh numeric(10, 4) NOT NULL DEFAULT 0 CHECK (fee_per_mwh >= 0),
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Prices of pricing locations (hubs, nodes) other than a zone's own price in market_prices: what virtual
-- bids clear and liquidate against. Public market data, as market_prices.
CREATE TABLE location_prices (
  zone text NOT NULL,
  location text NOT NULL,
  market text NOT NULL CHECK (market IN ('DA', 'RT')),
  interval_start timestamptz NOT NULL,
  interval_end timestamptz NOT NULL,
  lmp numeric(12, 4) NOT NULL CHECK (lmp <> 'NaN'),
  PRIMARY KEY (zone, location, market, interval_start),
  CHECK (interval_end > interval_start)
);

-- Shadow settlement: an ISO's statement as imported, line by line, and the reviews of its differences.
CREATE TABLE settlement_statements (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  zone text NOT NULL,
  format text NOT NULL CHECK (format IN ('pjm', 'generic')),
  period_from timestamptz NOT NULL,
  period_to timestamptz NOT NULL,
  filename text CHECK (char_length(filename) <= 200),
  lines int NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (period_to > period_from)
);
CREATE INDEX settlement_statements_org ON settlement_statements (org_id, created_at DESC, id);

CREATE TABLE settlement_lines (
  statement_id uuid NOT NULL REFERENCES settlement_statements (id) ON DELETE CASCADE,
  line_no int NOT NULL,
  interval_start timestamptz NOT NULL,
  interval_end timestamptz NOT NULL,
  location text NOT NULL,
  market text NOT NULL CHECK (market IN ('DA', 'RT')),
  mw numeric(14, 4) NOT NULL,
  price numeric(12, 4) NOT NULL,
  amount numeric(16, 4) NOT NULL,
  PRIMARY KEY (statement_id, line_no, market)
);

CREATE TABLE settlement_reviews (
  statement_id uuid NOT NULL REFERENCES settlement_statements (id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  hour timestamptz NOT NULL,
  location text NOT NULL,
  market text NOT NULL CHECK (market IN ('DA', 'RT')),
  status text NOT NULL CHECK (status IN ('disputed', 'explained')),
  comment text NOT NULL CHECK (char_length(comment) BETWEEN 1 AND 2000),
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (statement_id, hour, location, market)
);
