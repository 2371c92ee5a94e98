-- Notifications, e-mail and webhooks through the outbox, and price alerts (services/notifications,
-- services/alerts).

-- Outbox rows delivered one by one to an external system (mail, webhooks) retry on their own
-- schedule: a row is due when next_attempt_at (NULL: at once) has passed. A relay claims a row by
-- pushing next_attempt_at past its own lease, so no transaction is held while the target answers.
ALTER TABLE outbox ADD COLUMN next_attempt_at timestamptz;
CREATE INDEX outbox_due ON outbox (topic, next_attempt_at, id) WHERE sent_at IS NULL;

-- The single place events enter: publish_event() (and services/notifications/events.ts, which calls
-- the same INSERT) writes the event into the outbox in the caller's transaction; the dispatcher fans it
-- out to notifications, e-mails and webhook deliveries.
CREATE FUNCTION publish_event(p_org uuid, p_type text, p_payload jsonb) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO outbox (topic, key, payload)
  VALUES ('events', p_org::text, jsonb_build_object('org_id', p_org, 'type', p_type, 'id', gen_random_uuid(),
                                                    'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                                    'data', p_payload));
$$;

-- Every bid status change has its history row, however it was made (one bid, a batch, the clearing
-- and settlement jobs): the event is published from there, in the same transaction.
CREATE FUNCTION bid_event_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.from_status IS DISTINCT FROM NEW.to_status THEN
    PERFORM publish_event(NEW.org_id,
      CASE NEW.to_status WHEN 'cleared' THEN 'bid.cleared' WHEN 'settled' THEN 'bid.settled'
                         ELSE 'bid.status_changed' END,
      jsonb_build_object('bid_id', NEW.bid_id, 'from', NEW.from_status, 'to', NEW.to_status,
                         'details', NEW.details));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER bid_events_publish AFTER INSERT ON bid_events FOR EACH ROW EXECUTE FUNCTION bid_event_published();

CREATE TABLE notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  event_id uuid NOT NULL,
  type text NOT NULL,
  level text NOT NULL CHECK (level IN ('info', 'warning', 'critical')),
  title text NOT NULL,
  message text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at timestamptz,
  -- A redelivered event makes no second notification.
  UNIQUE (user_id, event_id)
);
CREATE INDEX notifications_user ON notifications (org_id, user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (org_id, user_id) WHERE read_at IS NULL;

-- Per user and event type, the channels chosen; no row: the type's defaults.
CREATE TABLE notification_preferences (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  event_type text NOT NULL,
  channels text[] NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id, event_type)
);

CREATE TABLE webhook_endpoints (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  url text NOT NULL,
  description text NOT NULL DEFAULT '',
  event_types text[] NOT NULL,
  secret text NOT NULL,
  -- After a rotation the old secret still signs (a second signature) until previous_secret_until.
  previous_secret text,
  previous_secret_until timestamptz,
  enabled boolean NOT NULL DEFAULT true,
  disabled_reason text,
  -- First failure of the current failing streak; cleared by a success. Five days of it disable the endpoint.
  failing_since timestamptz,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, created_at, id);

-- The delivery log: one row per attempt.
CREATE TABLE webhook_attempts (
  id bigserial PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  message_id text NOT NULL,
  event_type text NOT NULL,
  outbox_id bigint NOT NULL,
  attempt int NOT NULL,
  status_code int,
  duration_ms int NOT NULL,
  ok boolean NOT NULL,
  error text,
  response_excerpt text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (org_id, endpoint_id, id DESC);

CREATE TABLE price_alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL,
  zones text[] NOT NULL,
  market text NOT NULL CHECK (market IN ('DA', 'RT')),
  combine text NOT NULL CHECK (combine IN ('all', 'any')),
  conditions jsonb NOT NULL,
  hysteresis double precision NOT NULL DEFAULT 0,
  channels text[] NOT NULL,
  cooldown_s int NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  last_fired_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX price_alerts_org ON price_alerts (org_id, created_at, id);

CREATE TABLE price_alert_history (
  id bigserial PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  alert_id uuid NOT NULL REFERENCES price_alerts (id) ON DELETE CASCADE,
  zone text NOT NULL,
  market text NOT NULL,
  interval_start timestamptz NOT NULL,
  price double precision NOT NULL,
  observed jsonb NOT NULL,
  fired_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX price_alert_history_org ON price_alert_history (org_id, id DESC);
