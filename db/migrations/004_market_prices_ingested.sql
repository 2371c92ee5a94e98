-- The ClickHouse relay reads rows in ingestion order from a watermark.
CREATE INDEX market_prices_ingested ON market_prices (ingested_at, zone, market, interval_start);
