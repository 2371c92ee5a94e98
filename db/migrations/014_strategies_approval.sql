-- Four-eyes approval of bids, and saved strategies with their runs (issue 17).

-- An approver besides the admins: a member an admin granted the right to approve others' bids.
ALTER TABLE memberships ADD COLUMN approver boolean NOT NULL DEFAULT false;

-- A bid that needs approval waits in `pending_approval`; one still waiting at its gate is `expired`.
ALTER TABLE bids DROP CONSTRAINT IF EXISTS bids_status_check;
ALTER TABLE bids ADD CONSTRAINT bids_status_check
  CHECK (status IN ('draft', 'pending_approval', 'submitted', 'rejected', 'cleared', 'settled', 'withdrawn',
                    'expired'));
CREATE INDEX bids_pending ON bids (org_id, interval_start) WHERE status = 'pending_approval';

-- Which bids of an organization need a second person before they reach the market. No row: none do.
CREATE TABLE approval_policies (
  org_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  all_bids boolean NOT NULL DEFAULT false,
  -- A bid whose total MW is above this needs approval (NULL: no MW rule).
  above_mw numeric(10, 3) CHECK (above_mw >= 0),
  -- A bid whose notional value (Σ MW × |price| × hours) is above this, in $, needs approval.
  above_notional numeric(14, 2) CHECK (above_notional >= 0),
  strategy_bids boolean NOT NULL DEFAULT false,
  -- Strategies set to submit may do so (else their bids stay drafts).
  strategies_may_submit boolean NOT NULL DEFAULT true,
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A saved strategy: per asset, what to bid for each DA delivery day and when (lead_minutes before the gate).
CREATE TABLE strategies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  asset_id uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('fixed_curve', 'forecast_following', 'battery_arbitrage')),
  params jsonb NOT NULL CHECK (jsonb_typeof(params) = 'object'),
  lead_minutes int NOT NULL CHECK (lead_minutes BETWEEN 5 AND 1440),
  submit boolean NOT NULL DEFAULT false,
  enabled boolean NOT NULL DEFAULT true,
  -- The member the strategy's bids are made on behalf of (its creator, then its last editor).
  owner_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  version int NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);
CREATE INDEX strategies_enabled ON strategies (enabled) WHERE enabled;

ALTER TABLE bids ADD COLUMN strategy_id uuid REFERENCES strategies (id) ON DELETE SET NULL;

-- Every run of a strategy: what it made, or why it made nothing. At most one run that made bids per strategy
-- and delivery day, whatever the number of instances (the runner also locks the strategy's row).
CREATE TABLE strategy_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  strategy_id uuid NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
  delivery_date date NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  outcome text NOT NULL CHECK (outcome IN ('created', 'nothing')),
  bid_ids uuid[] NOT NULL DEFAULT '{}',
  bid_status text,
  reason text,
  actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX strategy_runs_once ON strategy_runs (strategy_id, delivery_date) WHERE outcome = 'created';
CREATE INDEX strategy_runs_list ON strategy_runs (strategy_id, at DESC, id);
