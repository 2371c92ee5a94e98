-- Hourly rollup of market_prices for analytics (services/analytics/postgres.ts): per zone, market and hour
-- (UTC, absolute) the number of intervals and the sum, min and max of their prices. Kept by statement
-- triggers that recompute every hour a statement touched, so revisions (upserts), deletes and truncation
-- leave it equal to aggregating market_prices itself; the ClickHouse relay keeps its own copy the same way.
CREATE TABLE market_prices_hourly (
  zone text NOT NULL,
  market text NOT NULL,
  hour timestamptz NOT NULL,
  n int NOT NULL CHECK (n > 0),
  lmp_sum numeric NOT NULL,
  lmp_min numeric(12, 4) NOT NULL,
  lmp_max numeric(12, 4) NOT NULL,
  PRIMARY KEY (zone, market, hour)
);

CREATE FUNCTION market_prices_hourly_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- One writer of the rollup at a time until commit: a concurrent writer then recomputes from a snapshot
  -- that includes this transaction's rows, instead of overwriting the hour with an aggregate that misses them.
  PERFORM pg_advisory_xact_lock(hashtext('market_prices_hourly'));
  -- Hours left without a row (deletes) go; the others are recomputed whole.
  DELETE FROM market_prices_hourly r
   USING (SELECT DISTINCT zone, market, date_bin('1 hour', interval_start, timestamptz '1970-01-01 00:00:00+00') AS hour
            FROM changed) h
   WHERE r.zone = h.zone AND r.market = h.market AND r.hour = h.hour;
  INSERT INTO market_prices_hourly (zone, market, hour, n, lmp_sum, lmp_min, lmp_max)
  SELECT h.zone, h.market, h.hour, count(*), sum(p.lmp), min(p.lmp), max(p.lmp)
    FROM (SELECT DISTINCT zone, market, date_bin('1 hour', interval_start, timestamptz '1970-01-01 00:00:00+00') AS hour
            FROM changed) h
    JOIN market_prices p ON p.zone = h.zone AND p.market = h.market
                        AND p.interval_start >= h.hour AND p.interval_start < h.hour + interval '1 hour'
   GROUP BY h.zone, h.market, h.hour
  ON CONFLICT (zone, market, hour) DO UPDATE
    SET n = excluded.n, lmp_sum = excluded.lmp_sum, lmp_min = excluded.lmp_min, lmp_max = excluded.lmp_max;
  RETURN NULL;
END $$;

CREATE TRIGGER market_prices_hourly_insert AFTER INSERT ON market_prices
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION market_prices_hourly_refresh();
CREATE TRIGGER market_prices_hourly_update AFTER UPDATE ON market_prices
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION market_prices_hourly_refresh();
CREATE TRIGGER market_prices_hourly_delete AFTER DELETE ON market_prices
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION market_prices_hourly_refresh();

CREATE FUNCTION market_prices_hourly_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE market_prices_hourly;
  RETURN NULL;
END $$;
CREATE TRIGGER market_prices_hourly_truncate AFTER TRUNCATE ON market_prices
  FOR EACH STATEMENT EXECUTE FUNCTION market_prices_hourly_truncate();

INSERT INTO market_prices_hourly (zone, market, hour, n, lmp_sum, lmp_min, lmp_max)
SELECT zone, market, date_bin('1 hour', interval_start, timestamptz '1970-01-01 00:00:00+00'), count(*), sum(lmp),
       min(lmp), max(lmp)
  FROM market_prices GROUP BY 1, 2, 3;
