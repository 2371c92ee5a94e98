-- Every reader of the outbox takes the unsent rows of its own topics in id order (the bus relay: every topic
-- without a relay of its own; the events dispatcher, the mail, webhook and MLflow relays: one topic each), while
-- the rows of the other topics wait among them. By id alone (outbox_pending) a reader walked past every unsent row
-- of the others: under a burst of bids the bus relay read the whole backlog of 'events' rows on each pass (about
-- 35,000 index entries and heap rows a pass, a million a second, most of the database's time). By topic, then id,
-- each reader reads only its own rows, and this one index replaces both older ones (one index less per insert).
CREATE INDEX outbox_pending_topic ON outbox (topic, id) WHERE sent_at IS NULL;
DROP INDEX outbox_pending;
DROP INDEX outbox_due;

-- One topic's unsent rows, oldest first, always read along outbox_pending_topic. A queue's statistics are
-- mostly stale (a burst adds tens of thousands of rows between two analyses): with a few pending rows in the
-- statistics the planner took a bitmap scan of them all and a sort (80 ms a pass at 70,000 pending), with many
-- an id-ordered walk of the primary key past every sent row. A range on topic (not an equality the planner
-- folds away) leaves no other index in (topic, id) order, and no sort is chosen here.
CREATE FUNCTION outbox_pending(p_topic text, p_limit int) RETURNS SETOF outbox LANGUAGE sql STABLE
  SET enable_sort = off AS $$
  SELECT * FROM outbox WHERE topic >= p_topic AND topic <= p_topic AND sent_at IS NULL ORDER BY topic, id LIMIT p_limit
$$;
