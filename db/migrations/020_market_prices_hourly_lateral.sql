-- The hourly rollup (012) recomputed the hours a statement touched with a join the planner ran as a scan of
-- all of market_prices (the transition table has no statistics), so every batch cost time in proportion to
-- the table, not to the batch: at a few hundred thousand rows it was most of an ingest. Inserted rows are
-- now added to their hours' aggregates; after an update or delete each touched hour is aggregated again
-- through the primary key (LATERAL: an index range of ~12 rows per hour), and hours are deleted only when
-- rows went away (a DELETE). Same results as before, and the same one-writer-at-a-time lock.
CREATE OR REPLACE FUNCTION market_prices_hourly_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('market_prices_hourly'));
  IF TG_OP = 'DELETE' THEN
    DELETE FROM market_prices_hourly r
     USING (SELECT DISTINCT zone, market, date_bin('1 hour', interval_start, timestamptz '1970-01-01 00:00:00+00') AS hour
              FROM changed) h
     WHERE r.zone = h.zone AND r.market = h.market AND r.hour = h.hour
       AND NOT EXISTS (SELECT 1 FROM market_prices p
                        WHERE p.zone = h.zone AND p.market = h.market
                          AND p.interval_start >= h.hour AND p.interval_start < h.hour + interval '1 hour');
  END IF;
  IF TG_OP = 'INSERT' THEN
    -- Inserted rows are new to their hours (an upsert's updated rows fire the UPDATE trigger): add them on.
    INSERT INTO market_prices_hourly AS r (zone, market, hour, n, lmp_sum, lmp_min, lmp_max)
    SELECT zone, market, date_bin('1 hour', interval_start, timestamptz '1970-01-01 00:00:00+00'), count(*), sum(lmp),
           min(lmp), max(lmp)
      FROM changed GROUP BY 1, 2, 3
    ON CONFLICT (zone, market, hour) DO UPDATE
      SET n = r.n + excluded.n, lmp_sum = r.lmp_sum + excluded.lmp_sum, lmp_min = least(r.lmp_min, excluded.lmp_min),
          lmp_max = greatest(r.lmp_max, excluded.lmp_max);
    RETURN NULL;
  END IF;
  INSERT INTO market_prices_hourly (zone, market, hour, n, lmp_sum, lmp_min, lmp_max)
  SELECT h.zone, h.market, h.hour, a.n, a.lmp_sum, a.lmp_min, a.lmp_max
    FROM (SELECT DISTINCT zone, market, date_bin('1 hour', interval_start, timestamptz '1970-01-01 00:00:00+00') AS hour
            FROM changed) h
   CROSS JOIN LATERAL (
     SELECT count(*)::int AS n, sum(p.lmp) AS lmp_sum, min(p.lmp) AS lmp_min, max(p.lmp) AS lmp_max
       FROM market_prices p
      WHERE p.zone = h.zone AND p.market = h.market
        AND p.interval_start >= h.hour AND p.interval_start < h.hour + interval '1 hour') a
   WHERE a.n > 0
  ON CONFLICT (zone, market, hour) DO UPDATE
    SET n = excluded.n, lmp_sum = excluded.lmp_sum, lmp_min = excluded.lmp_min, lmp_max = excluded.lmp_max;
  RETURN NULL;
END $$;
