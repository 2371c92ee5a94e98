-- Approvals published where every path passes: the bid_events row. A single submit, a batch (one
-- statement for many bids), a strategy's run, an approver's decision and the expiry job all write one
-- row per status change, so the trigger is the one place that tells users and webhooks about them.
CREATE OR REPLACE FUNCTION bid_event_published() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  b record;
  decision text;
  reason text := NEW.details ->> 'reason';
BEGIN
  IF NEW.from_status IS NOT DISTINCT FROM NEW.to_status THEN
    RETURN NULL;
  END IF;
  PERFORM publish_event(NEW.org_id,
    CASE NEW.to_status WHEN 'cleared' THEN 'bid.cleared' WHEN 'settled' THEN 'bid.settled'
                       ELSE 'bid.status_changed' END,
    jsonb_build_object('bid_id', NEW.bid_id, 'from', NEW.from_status, 'to', NEW.to_status,
                       'details', NEW.details));
  IF NEW.to_status = 'pending_approval' THEN
    SELECT zone, market, interval_start, created_by INTO b FROM bids WHERE id = NEW.bid_id;
    PERFORM publish_event(NEW.org_id, 'approval.requested',
      jsonb_build_object('bid_id', NEW.bid_id, 'reason', reason, 'requested_by', NEW.actor_user_id,
                         'created_by', b.created_by, 'zone', b.zone, 'market', b.market,
                         'interval_start', b.interval_start,
                         'title', 'Approval requested',
                         'message', format('A %s %s bid for %s waits for a second person''s approval: %s',
                                           b.zone, b.market, to_char(b.interval_start AT TIME ZONE 'UTC',
                                           'YYYY-MM-DD HH24:MI "UTC"'), coalesce(reason, 'approval required')),
                         'level', 'warning'));
  ELSIF NEW.from_status = 'pending_approval' AND NEW.to_status IN ('submitted', 'rejected', 'expired') THEN
    decision := CASE NEW.to_status WHEN 'submitted' THEN 'approved' ELSE NEW.to_status END;
    SELECT zone, market, interval_start, created_by INTO b FROM bids WHERE id = NEW.bid_id;
    PERFORM publish_event(NEW.org_id, 'approval.decided',
      jsonb_build_object('bid_id', NEW.bid_id, 'decision', decision, 'reason', reason,
                         'decided_by', NEW.actor_user_id, 'created_by', b.created_by, 'zone', b.zone,
                         'market', b.market, 'interval_start', b.interval_start,
                         'title', CASE decision WHEN 'approved' THEN 'Bid approved'
                                                WHEN 'rejected' THEN 'Bid rejected by an approver'
                                                ELSE 'Bid approval expired' END,
                         'message', format('The %s %s bid for %s was %s%s', b.zone, b.market,
                                           to_char(b.interval_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'),
                                           CASE decision WHEN 'approved' THEN 'approved and submitted'
                                                         WHEN 'rejected' THEN 'rejected'
                                                         ELSE 'not approved in time' END,
                                           CASE WHEN reason IS NULL THEN '' ELSE ': ' || reason END),
                         'level', CASE decision WHEN 'approved' THEN 'info' ELSE 'warning' END));
  END IF;
  RETURN NULL;
END $$;
