-- The ClickHouse relay's index (004) named every column of its order, (ingested_at, zone, market,
-- interval_start): four columns written for every price ingested, about a fifth of the database's time for
-- an ingest (measured by dropping it). Every row of a transaction shares one ingested_at, so an index of that
-- column alone is a handful of deduplicated entries per batch, and the relay's read still walks it in order:
-- the planner sorts each run of equal times by the rest of the key (an incremental sort) and stops at the
-- page's LIMIT. Built before the old one goes, so that the table is locked against reads only for the drop.
CREATE INDEX market_prices_ingested_at ON market_prices (ingested_at);
DROP INDEX IF EXISTS market_prices_ingested;
