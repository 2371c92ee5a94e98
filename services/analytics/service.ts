/**
 * The analytics capability wired to the app: market panels on ClickHouse while it answers (per request,
 * falling back to Postgres), portfolio analytics on Postgres.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import type { Database } from "../../db/database.ts";
import { clickhouseEngine } from "./clickhouse.ts";
import type { MarketEngine } from "./engine.ts";
import { marketAnalytics, type MarketRequest } from "./market.ts";
import { portfolioAnalytics } from "./portfolio.ts";
import { postgresEngine } from "./postgres.ts";
import type { MarketAnalytics, PortfolioAnalytics } from "./schema.ts";

export interface AnalyticsService {
  market(r: MarketRequest): Promise<MarketAnalytics>;
  portfolio(orgId: string, range: { from: Date; to: Date }): Promise<PortfolioAnalytics>;
}

export function createAnalytics(deps: {
  db: () => Database;
  /** The ClickHouse client while ClickHouse is configured and available, else null. */
  clickhouse: () => ClickHouseClient | null;
  /** A ClickHouse read failed: taken as an outage until a check says otherwise (HealthRegistry.suspect). */
  clickhouseFailed?: (err: unknown) => void;
}): AnalyticsService {
  const postgres = postgresEngine(deps.db);
  let engine: { client: ClickHouseClient; engine: MarketEngine } | null = null;
  const clickhouse = () => {
    const client = deps.clickhouse();
    if (!client) return null;
    if (engine?.client !== client) engine = { client, engine: clickhouseEngine(client) };
    return engine.engine;
  };
  return {
    market: (r) => marketAnalytics({ db: deps.db, postgres, clickhouse, clickhouseFailed: deps.clickhouseFailed }, r),
    portfolio: (orgId, range) => portfolioAnalytics(deps.db(), orgId, range),
  };
}
