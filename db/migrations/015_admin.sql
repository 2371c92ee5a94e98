-- The admin console: suspending an organization (its data stays), feature flags with per-organization
-- overrides and a percentage rollout, quotas per organization, and metered usage per day.

-- Set while the organization is suspended: its sessions and API keys do not authenticate, no one signs in.
ALTER TABLE organizations ADD COLUMN suspended_at timestamptz;
ALTER TABLE organizations ADD COLUMN suspended_reason text CHECK (length(suspended_reason) <= 500);

CREATE TABLE feature_flags (
  key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{1,47}$'),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  -- What an organization without an override gets when there is no rollout.
  enabled boolean NOT NULL DEFAULT true,
  -- Set: an organization without an override gets the flag when its bucket (hash of org id and key,
  -- 0-99) is below this; the default above is then not used.
  rollout_percent smallint CHECK (rollout_percent BETWEEN 0 AND 100),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE feature_flag_overrides (
  flag_key text NOT NULL REFERENCES feature_flags (key) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  enabled boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (flag_key, org_id)
);

INSERT INTO feature_flags (key, description, enabled) VALUES
  ('analytics', 'Analytics pages and /api/analytics', true),
  ('forecasts', 'Price forecasts (/api/forecasts) and the model registry (/models, /api/models)', true),
  ('strategies', 'Bidding strategies and their runs', true),
  ('virtual_bids', 'Virtual (financial) bids', true);

-- A null limit means the platform's default (services/admin/quotas.ts).
CREATE TABLE org_quotas (
  org_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  api_requests_per_minute integer CHECK (api_requests_per_minute > 0),
  api_requests_per_day integer CHECK (api_requests_per_day > 0),
  bids_per_day integer CHECK (bids_per_day > 0),
  assets integer CHECK (assets > 0),
  api_keys integer CHECK (api_keys > 0),
  ws_connections integer CHECK (ws_connections > 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Counted on the request path in memory and added here in the background (never a write per request).
CREATE TABLE org_usage_daily (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  day date NOT NULL,
  metric text NOT NULL CHECK (metric IN ('api_requests', 'bids', 'ws_connections', 'rejected')),
  count bigint NOT NULL DEFAULT 0 CHECK (count >= 0),
  PRIMARY KEY (org_id, day, metric)
);
