-- The spike baselines (021) were recomputed hour by hour: each changed RT hour and the four hours one to four
-- weeks after it, each with five index probes of the rollup, then deleted and inserted again. For a bulk
-- ingest (20,000 prices: ~1,700 hours) that was ~18 µs a refreshed hour and the largest single cost of the
-- ingest's transaction (measured: dropping the trigger made the bus → Postgres ingest a third faster).
--
-- A large change is now refreshed by range: per zone, the rollup's RT hours from four weeks before the first
-- changed hour to four weeks after the last are read once, in order, and each hour's four lagged means come
-- from window frames one to four weeks back (RANGE offsets: an exact hour, so a missing week is NULL, as the
-- probes' outer joins gave). Each hour of the refreshed span is written only if its values changed (same
-- closed form as 021). A small change (a live interval, a revision) keeps the per-hour refresh: a range costs
-- about 8 µs an hour of its span plus ~7,400 µs of fixed reading per zone, the per-hour path ~90 µs a changed
-- hour (five hours of ~18 µs), so ranges win from about a hundred changed hours a zone. Deletes keep the
-- per-hour path, which also removes baselines whose hour left the rollup.
CREATE FUNCTION market_spike_baselines_refresh_ranges(zones text[], los timestamptz[], his timestamptz[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  z text[]; h timestamptz[]; bl float8[]; md float8[]; lo_ float8[]; hi_ float8[];
  dz text[]; dh timestamptz[];
BEGIN
  WITH r AS (SELECT zone, lo, hi + interval '672 hours' AS hi FROM unnest(zones, los, his) AS r(zone, lo, hi)),
  w AS (
    SELECT r.zone, p.hour, p.lmp_min::float8 AS lo, p.lmp_max::float8 AS hi, p.hour >= r.lo AS target,
           min(p.mean) OVER (PARTITION BY r.zone ORDER BY p.hour
                             RANGE BETWEEN interval '168 hours' PRECEDING AND interval '168 hours' PRECEDING) AS l1,
           min(p.mean) OVER (PARTITION BY r.zone ORDER BY p.hour
                             RANGE BETWEEN interval '336 hours' PRECEDING AND interval '336 hours' PRECEDING) AS l2,
           min(p.mean) OVER (PARTITION BY r.zone ORDER BY p.hour
                             RANGE BETWEEN interval '504 hours' PRECEDING AND interval '504 hours' PRECEDING) AS l3,
           min(p.mean) OVER (PARTITION BY r.zone ORDER BY p.hour
                             RANGE BETWEEN interval '672 hours' PRECEDING AND interval '672 hours' PRECEDING) AS l4
      FROM r CROSS JOIN LATERAL (
        SELECT hour, lmp_sum::float8 / n AS mean, lmp_min, lmp_max FROM market_prices_hourly
         WHERE zone = r.zone AND market = 'RT' AND hour >= r.lo - interval '672 hours' AND hour <= r.hi) p),
  x AS (
    SELECT zone, hour, lo, hi,
           (l1 IS NOT NULL)::int + (l2 IS NOT NULL)::int + (l3 IS NOT NULL)::int + (l4 IS NOT NULL)::int AS m,
           coalesce(l1, 'Infinity') AS a, coalesce(l2, 'Infinity') AS b, coalesce(l3, 'Infinity') AS c,
           coalesce(l4, 'Infinity') AS d
      FROM w WHERE target),
  y AS (
    SELECT zone, hour, lo, hi, m, least(a, b, c, d) AS s1,
           least(greatest(a, b), greatest(a, c), greatest(a, d), greatest(b, c), greatest(b, d), greatest(c, d)) AS s2,
           least(greatest(a, b, c), greatest(a, b, d), greatest(a, c, d), greatest(b, c, d)) AS s3
      FROM x)
  SELECT array_agg(zone) FILTER (WHERE m >= 2), array_agg(hour) FILTER (WHERE m >= 2),
         array_agg(CASE WHEN m = 2 THEN s1 ELSE s2 END) FILTER (WHERE m >= 2),
         array_agg(CASE WHEN m = 2 THEN 0 ELSE least(s2 - s1, s3 - s2) END) FILTER (WHERE m >= 2),
         array_agg(lo) FILTER (WHERE m >= 2), array_agg(hi) FILTER (WHERE m >= 2),
         array_agg(zone) FILTER (WHERE m < 2), array_agg(hour) FILTER (WHERE m < 2)
    INTO z, h, bl, md, lo_, hi_, dz, dh
    FROM y;
  IF dz IS NOT NULL THEN
    DELETE FROM market_spike_baselines b USING unnest(dz, dh) AS t(zone, hour)
     WHERE b.zone = t.zone AND b.hour = t.hour;
  END IF;
  IF z IS NOT NULL THEN
    INSERT INTO market_spike_baselines AS b (zone, hour, baseline, mad, lo, hi)
    SELECT * FROM unnest(z, h, bl, md, lo_, hi_)
    ON CONFLICT (zone, hour) DO UPDATE
      SET baseline = excluded.baseline, mad = excluded.mad, lo = excluded.lo, hi = excluded.hi
      WHERE (b.baseline, b.mad, b.lo, b.hi) IS DISTINCT FROM (excluded.baseline, excluded.mad, excluded.lo, excluded.hi);
  END IF;
END $$;

CREATE OR REPLACE FUNCTION market_spike_baselines_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed_hours bigint; range_cost float8; zs text[]; los timestamptz[]; his timestamptz[];
BEGIN
  IF TG_OP <> 'DELETE' THEN
    SELECT sum(n), sum(8 * (extract(epoch FROM hi - lo) / 3600 + 673) + 7400), array_agg(zone), array_agg(lo),
           array_agg(hi)
      INTO changed_hours, range_cost, zs, los, his
      FROM (SELECT zone, count(*) AS n, min(hour) AS lo, max(hour) AS hi FROM changed WHERE market = 'RT'
             GROUP BY zone) c;
    IF changed_hours IS NULL THEN
      RETURN NULL;
    END IF;
    IF 90 * changed_hours > range_cost THEN
      PERFORM market_spike_baselines_refresh_ranges(zs, los, his);
      RETURN NULL;
    END IF;
  END IF;
  PERFORM market_spike_baselines_refresh(array_agg(c.zone), array_agg(c.hour + k * interval '168 hours'))
     FROM (SELECT DISTINCT zone, hour FROM changed WHERE market = 'RT') c, generate_series(0, 4) k;
  RETURN NULL;
END $$;
