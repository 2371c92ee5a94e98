-- Sites, assets, bids with their history, the outbox of bid events, and idempotency keys.
-- Every row carries org_id; every query is scoped by it.

CREATE TABLE sites (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL,
  zone text NOT NULL,
  node text NOT NULL,
  latitude double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
  longitude double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);

CREATE TABLE assets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE RESTRICT,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('solar', 'wind', 'storage', 'thermal')),
  capacity_mw numeric(10, 3) NOT NULL CHECK (capacity_mw > 0),
  -- Storage only (NULL otherwise).
  energy_mwh numeric(10, 3) CHECK (energy_mwh > 0),
  charge_mw numeric(10, 3) CHECK (charge_mw > 0),
  discharge_mw numeric(10, 3) CHECK (discharge_mw > 0),
  round_trip_efficiency numeric(5, 4) CHECK (round_trip_efficiency > 0 AND round_trip_efficiency <= 1),
  min_soc numeric(5, 4) CHECK (min_soc >= 0 AND min_soc <= 1),
  max_soc numeric(5, 4) CHECK (max_soc >= 0 AND max_soc <= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name),
  CHECK (kind <> 'storage' OR (energy_mwh IS NOT NULL AND charge_mw IS NOT NULL AND discharge_mw IS NOT NULL
                               AND round_trip_efficiency IS NOT NULL AND min_soc IS NOT NULL AND max_soc IS NOT NULL
                               AND min_soc < max_soc))
);
CREATE INDEX assets_site ON assets (site_id);

CREATE TABLE bids (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  asset_id uuid NOT NULL REFERENCES assets (id) ON DELETE RESTRICT,
  zone text NOT NULL,
  market text NOT NULL CHECK (market IN ('DA', 'RT')),
  interval_start timestamptz NOT NULL,
  interval_end timestamptz NOT NULL,
  side text NOT NULL CHECK (side IN ('offer', 'bid')),
  segments jsonb NOT NULL,
  status text NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'submitted', 'rejected', 'cleared', 'settled', 'withdrawn')),
  -- Optimistic concurrency: every change increments it; a stale version gets 409.
  version int NOT NULL DEFAULT 1,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  submitted_at timestamptz,
  awarded_mw numeric(12, 4),
  clearing_price numeric(12, 4),
  cleared_at timestamptz,
  da_revenue numeric(14, 4),
  rt_revenue numeric(14, 4),
  revenue numeric(14, 4),
  settled_at timestamptz,
  reject_reason text,
  CHECK (interval_end > interval_start)
);
CREATE INDEX bids_org_time ON bids (org_id, interval_start DESC, id);
CREATE INDEX bids_clearing ON bids (zone, market, interval_start) WHERE status IN ('submitted', 'cleared');
CREATE INDEX bids_asset ON bids (asset_id, interval_start);

-- The history of a bid: every transition with who and when.
CREATE TABLE bid_events (
  id bigserial PRIMARY KEY,
  bid_id uuid NOT NULL REFERENCES bids (id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  from_status text,
  to_status text NOT NULL,
  actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  actor_api_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL,
  actor_system text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bid_events_bid ON bid_events (bid_id, id);

-- Events to publish (Kafka bids.events, else the KV queue), written in the same transaction
-- as the change they describe; the relay marks them sent. Ordered by id, per bid.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  attempts int NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;

-- A retried request with the same Idempotency-Key gets the first answer.
CREATE TABLE idempotency_keys (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  key text NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  request_hash text NOT NULL,
  status int NOT NULL,
  response jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, key)
);
