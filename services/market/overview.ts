/**
 * What the dashboard shows per zone, read in one round trip: the latest RT
 * price, the RT price an hour before it, the DA price of the current hour and
 * 24 hourly RT averages for the sparkline.
 */
import type { Queryable } from "../../db/database.ts";
import { type Iso, ISOS } from "./zones.ts";

export interface ZoneOverview {
  zone: Iso;
  rt: { lmp: number; interval_start: string } | null;
  rtHourAgo: number | null;
  da: number | null;
  /** Hourly RT averages, oldest first. */
  spark: number[];
}

interface Row {
  zone: Iso;
  kind: "rt" | "ago" | "da" | "spark";
  t: string;
  lmp: number;
}

export async function zoneOverview(q: Queryable, now = new Date()): Promise<ZoneOverview[]> {
  const rows = await q.query<Row>(
    `WITH latest AS (
       SELECT DISTINCT ON (zone) zone, interval_start, lmp FROM market_prices
        WHERE market = 'RT' AND interval_start <= $1 AND interval_start > $1::timestamptz - interval '2 days'
        ORDER BY zone, interval_start DESC)
     SELECT zone, 'rt' AS kind, to_char(interval_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS t,
            lmp::float8 AS lmp FROM latest
     UNION ALL
     SELECT p.zone, 'ago', '', p.lmp::float8 FROM market_prices p JOIN latest l
         ON p.zone = l.zone AND p.market = 'RT' AND p.interval_start = l.interval_start - interval '1 hour'
     UNION ALL
     SELECT zone, 'da', '', lmp::float8 FROM market_prices
      WHERE market = 'DA' AND interval_start <= $1 AND interval_end > $1
     UNION ALL
     SELECT zone, 'spark', to_char(date_trunc('hour', interval_start), 'YYYY-MM-DD HH24'), round(avg(lmp), 2)::float8
       FROM market_prices WHERE market = 'RT' AND interval_start > $1::timestamptz - interval '24 hours'
        AND interval_start <= $1
      GROUP BY zone, date_trunc('hour', interval_start)
     ORDER BY 1, 2, 3`,
    [now],
  );
  return ISOS.map((zone) => {
    const mine = rows.filter((r) => r.zone === zone);
    const rt = mine.find((r) => r.kind === "rt");
    return {
      zone,
      rt: rt ? { lmp: rt.lmp, interval_start: rt.t } : null,
      rtHourAgo: mine.find((r) => r.kind === "ago")?.lmp ?? null,
      da: mine.find((r) => r.kind === "da")?.lmp ?? null,
      spark: mine.filter((r) => r.kind === "spark").map((r) => r.lmp),
    };
  });
}
