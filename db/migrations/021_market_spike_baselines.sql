-- Each RT hour's spike baseline (services/analytics/stats.ts SPIKE), kept beside the hourly rollup: the
-- median and MAD (nearest rank) of the hour's mean 1, 2, 3 and 4 weeks (168 h each) before, for hours with
-- at least two of them, with the hour's extremes. Computing them per request was about 40% of the database
-- CPU of a year's market panel. A change to an RT hour of the rollup recomputes that hour and the four hours
-- one to four weeks after it, whose baselines read it.
--
-- Closed form from the lagged values sorted s1 <= s2 <= s3 <= s4 (missing weeks sorted last as +infinity):
-- two values have median s1 and MAD 0 (deviations 0 and s2 - s1); three or four have median s2 and MAD
-- min(s2 - s1, s3 - s2), the second smallest deviation (0 the smallest, s4 - s2 >= s3 - s2). The k-th
-- smallest is the least, over every k of the values, of their greatest.
CREATE TABLE market_spike_baselines (
  zone text NOT NULL,
  hour timestamptz NOT NULL,
  baseline float8 NOT NULL,
  mad float8 NOT NULL,
  lo float8 NOT NULL,
  hi float8 NOT NULL,
  PRIMARY KEY (zone, hour)
);

CREATE FUNCTION market_spike_baselines_refresh(zones text[], hours timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM market_spike_baselines b
   USING (SELECT DISTINCT zone, hour FROM unnest(zones, hours) AS u(zone, hour)) t
   WHERE b.zone = t.zone AND b.hour = t.hour;
  INSERT INTO market_spike_baselines (zone, hour, baseline, mad, lo, hi)
  SELECT zone, hour, CASE WHEN m = 2 THEN s1 ELSE s2 END, CASE WHEN m = 2 THEN 0 ELSE least(s2 - s1, s3 - s2) END,
         lo, hi
    FROM (
      SELECT zone, hour, lo, hi, m, least(a, b, c, d) AS s1,
             least(greatest(a, b), greatest(a, c), greatest(a, d), greatest(b, c), greatest(b, d), greatest(c, d)) AS s2,
             least(greatest(a, b, c), greatest(a, b, d), greatest(a, c, d), greatest(b, c, d)) AS s3
        FROM (
          SELECT t.zone, t.hour, h.lmp_min::float8 AS lo, h.lmp_max::float8 AS hi,
                 (l1.n IS NOT NULL)::int + (l2.n IS NOT NULL)::int + (l3.n IS NOT NULL)::int
                   + (l4.n IS NOT NULL)::int AS m,
                 coalesce(l1.lmp_sum::float8 / l1.n, 'Infinity') AS a,
                 coalesce(l2.lmp_sum::float8 / l2.n, 'Infinity') AS b,
                 coalesce(l3.lmp_sum::float8 / l3.n, 'Infinity') AS c,
                 coalesce(l4.lmp_sum::float8 / l4.n, 'Infinity') AS d
            FROM (SELECT DISTINCT zone, hour FROM unnest(zones, hours) AS u(zone, hour)) t
            JOIN market_prices_hourly h ON h.zone = t.zone AND h.market = 'RT' AND h.hour = t.hour
            LEFT JOIN market_prices_hourly l1
              ON l1.zone = t.zone AND l1.market = 'RT' AND l1.hour = t.hour - interval '168 hours'
            LEFT JOIN market_prices_hourly l2
              ON l2.zone = t.zone AND l2.market = 'RT' AND l2.hour = t.hour - interval '336 hours'
            LEFT JOIN market_prices_hourly l3
              ON l3.zone = t.zone AND l3.market = 'RT' AND l3.hour = t.hour - interval '504 hours'
            LEFT JOIN market_prices_hourly l4
              ON l4.zone = t.zone AND l4.market = 'RT' AND l4.hour = t.hour - interval '672 hours'
        ) x
       WHERE m >= 2
    ) y;
END $$;

CREATE FUNCTION market_spike_baselines_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM market_spike_baselines_refresh(array_agg(c.zone), array_agg(c.hour + k * interval '168 hours'))
     FROM (SELECT DISTINCT zone, hour FROM changed WHERE market = 'RT') c, generate_series(0, 4) k;
  RETURN NULL;
END $$;

CREATE TRIGGER market_spike_baselines_insert AFTER INSERT ON market_prices_hourly
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION market_spike_baselines_follow();
CREATE TRIGGER market_spike_baselines_update AFTER UPDATE ON market_prices_hourly
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION market_spike_baselines_follow();
CREATE TRIGGER market_spike_baselines_delete AFTER DELETE ON market_prices_hourly
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION market_spike_baselines_follow();

CREATE FUNCTION market_spike_baselines_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE market_spike_baselines;
  RETURN NULL;
END $$;
CREATE TRIGGER market_spike_baselines_truncate AFTER TRUNCATE ON market_prices_hourly
  FOR EACH STATEMENT EXECUTE FUNCTION market_spike_baselines_truncate();

SELECT market_spike_baselines_refresh(array_agg(zone), array_agg(hour)) FROM market_prices_hourly WHERE market = 'RT';
