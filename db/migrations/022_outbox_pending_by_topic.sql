-- Every reader of the outbox takes the unsent rows of its own topics in id order (the bus relay: every topic
-- without a relay of its own; the events dispatcher, the mail, webhook and MLflow relays: one topic each), while
-- the rows of the other topics wait among them. By id alone (outbox_pending) a reader walked past every unsent row
-- of the others: under a burst of bids the bus relay read the whole backlog of 'events' rows on each pass (about
-- 35,000 index entries and heap rows a pass, a million a second, most of the database's time). By topic, then id,
-- each reader reads only its own rows, and this one index replaces both older ones (one index less per insert).
CREATE INDEX outbox_pending_topic ON outbox (topic, id) WHERE sent_at IS NULL;
DROP INDEX outbox_pending;
DROP INDEX outbox_due;
