-- The spike baselines (021) were recomputed hour by hour: each changed RT hour and the four hours one to four
-- weeks after it, each with five index probes of the rollup, then deleted and inserted again. For a bulk
-- ingest (20,000 prices: ~1,700 hours) that was ~18 µs a refreshed hour and the largest single cost of the
-- ingest's transaction (measured: dropping the trigger made the bus → Postgres ingest a third faster).
--
-- A large change is now refreshed by range: per zone, the rollup's RT hours from four weeks before the first
-- changed hour to four weeks after the last are read once, in order, and each hour's four lagged means come
-- from window frames one to four weeks back (RANGE offsets: an exact hour, so a missing week is NULL, as the
-- probes' outer joins gave). Each hour of the refreshed span is written only if its values changed (same
-- closed form as 021). A zone's small change (a live interval, a revision) keeps the per-hour refresh. Measured:
-- a range costs ~10 µs an hour of what it refreshes (the changed span and the four weeks after it: 673 hours
-- for one changed hour), the per-hour path ~18 µs for each distinct hour it refreshes (a changed hour and the
-- same hour 1 to 4 weeks later), so for contiguous hours ranges win from about 85 changed hours; the choice is
-- made per zone. Deletes keep the per-hour path, which also removes baselines whose hour left the rollup.
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
  zs text[]; los timestamptz[]; his timestamptz[];
BEGIN
  IF TG_OP <> 'DELETE' THEN
    SELECT array_agg(zone), array_agg(lo), array_agg(hi)
      INTO zs, los, his
      FROM (SELECT zone, min(hour) AS lo, max(hour) AS hi, count(*) AS n FROM changed WHERE market = 'RT'
             GROUP BY zone) c
     WHERE 18 * least(5 * n, n + 672) > 10 * (extract(epoch FROM hi - lo) / 3600 + 673);
    IF zs IS NOT NULL THEN
      PERFORM market_spike_baselines_refresh_ranges(zs, los, his);
    END IF;
  END IF;
  -- Not called for nothing: an upsert into the rollup fires its INSERT and its UPDATE triggers, one of them empty.
  PERFORM market_spike_baselines_refresh(z, h)
     FROM (SELECT array_agg(c.zone) AS z, array_agg(c.hour + k * interval '168 hours') AS h
             FROM (SELECT DISTINCT zone, hour FROM changed
                    WHERE market = 'RT' AND zone <> ALL (coalesce(zs, '{}'))) c,
                  generate_series(0, 4) k) a
    WHERE z IS NOT NULL;
  RETURN NULL;
END $$;
