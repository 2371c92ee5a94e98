/**
 * ClickHouse as a copy of market_prices: the relay copies what Postgres holds
 * (resuming from its watermark, revisions included), and history read from
 * ClickHouse equals history read from the database, row for row.
 */
import assert from "node:assert/strict";
import { migrate } from "../../db/migrate.ts";
import { createClickhouseAdapter } from "../../services/adapters/clickhouse.ts";
import { loadConfig } from "../../services/config/env.ts";
import { HealthRegistry } from "../../services/health/registry.ts";
import { setLogSink } from "../../services/log/logger.ts";
import {
  CH_TABLE,
  clickhouseHistory,
  ensureClickhouseTable,
  syncToClickhouse,
} from "../../services/market/clickhouse_store.ts";
import { simulateRealTime } from "../../services/market/simulator.ts";
import { history, writeTicks } from "../../services/market/store.ts";
import { waitForStatus } from "../helpers/health.ts";
import { freshPostgresUrl, serviceTest, testServices } from "../helpers/services.ts";
import { openPostgres } from "../../services/adapters/postgres.ts";
import { testDatabase } from "../helpers/database.ts";

/** ClickHouse answering, with an empty price table; the caller stops the registry. */
async function emptyClickhouse() {
  const adapter = createClickhouseAdapter(
    loadConfig({ CLICKHOUSE_URL: `${testServices.clickhouse}/${testServices.clickhouseDb}` }),
  );
  const registry = new HealthRegistry({ attemptTimeoutMs: 2000 }).register(adapter);
  try {
    await registry.start();
    await waitForStatus(registry, "clickhouse", "available", 5000);
    const client = adapter.client()!;
    await client.command({ query: `DROP TABLE IF EXISTS ${CH_TABLE}` });
    await ensureClickhouseTable(client);
    return { registry, client };
  } catch (e) {
    await registry.stop();
    throw e;
  }
}

serviceTest("history in ClickHouse equals history in Postgres after the relay", ["clickhouse"], async () => {
  const restore = setLogSink(() => {});
  const db = await testDatabase("chmirror");
  const { registry, client } = await emptyClickhouse();
  try {
    await migrate(db);

    const from = new Date("2025-03-08T00:00:00Z");
    const to = new Date("2025-03-11T00:00:00Z"); // spans the US DST change
    const pjm = simulateRealTime("PJM", from, to, 11);
    const caiso = simulateRealTime("CAISO", from, to, 11);
    // Two statements, so the relay pages across rows that share an ingested_at.
    await writeTicks(db, pjm, "sim");
    await writeTicks(db, caiso, "sim");
    assert.equal(await syncToClickhouse(db, client), pjm.length + caiso.length);
    assert.equal(await syncToClickhouse(db, client), 0, "nothing new: the watermark holds");

    // A revision after the first copy reaches ClickHouse too, and replaces the old row there.
    const revised = { ...pjm[10], lmp: 123.45, energy: 120, congestion: 3, loss: 0.45 };
    await writeTicks(db, [revised], "sim");
    assert.equal(await syncToClickhouse(db, client), 1);

    for (const zone of ["PJM", "CAISO"] as const) {
      const q = { zone, market: "RT" as const, from, to, limit: 10_000 };
      const fromPg = (await history(db, q)).items;
      const fromCh = await clickhouseHistory(client, q);
      assert.equal(fromCh.length, fromPg.length, zone);
      assert.deepEqual(fromCh, fromPg, `${zone}: identical rows`);
    }
    const paged = await clickhouseHistory(client, {
      zone: "PJM",
      market: "RT",
      from,
      to,
      limit: 5,
      after: pjm[7].interval_start,
    });
    assert.deepEqual(paged.map((t) => t.interval_start), pjm.slice(8, 13).map((t) => t.interval_start));
    assert.equal(paged[2].lmp, 123.45);
  } finally {
    await registry.stop();
    await db.close();
    restore();
  }
});

serviceTest(
  "rows of a transaction that began before rows already copied, and committed after them, are copied too",
  ["postgres", "clickhouse"],
  async () => {
    const restore = setLogSink(() => {});
    const db = await openPostgres(await freshPostgresUrl("chlate", { migrated: true }), { max: 4 });
    const { registry, client } = await emptyClickhouse();
    try {
      const from = new Date("2025-04-01T00:00:00Z");
      const to = new Date("2025-04-01T06:00:00Z");
      const pjm = simulateRealTime("PJM", from, to, 3);
      const miso = simulateRealTime("MISO", from, to, 3);

      // Two ingest writers: the first begins (its rows' ingested_at is its start) and is slow to write them;
      // the second begins later and commits first; the relay runs while the first is still open.
      const release = Promise.withResolvers<void>();
      const begun = Promise.withResolvers<void>();
      const early = db.transaction(async (tx) => {
        await tx.query(`SELECT 1`);
        begun.resolve();
        await release.promise;
        await writeTicks(tx, miso, "sim");
      });
      await begun.promise;
      try {
        await writeTicks(db, pjm, "sim");
        assert.equal(await syncToClickhouse(db, client), 0, "rows newer than an open transaction wait for it");
      } finally {
        release.resolve();
        await early;
      }
      assert.equal(await syncToClickhouse(db, client), miso.length + pjm.length, "both, the late commit first");

      for (const zone of ["MISO", "PJM"] as const) {
        const q = { zone, market: "RT" as const, from, to, limit: 10_000 };
        assert.deepEqual(await clickhouseHistory(client, q), (await history(db, q)).items, zone);
      }
    } finally {
      await registry.stop();
      await db.close();
      restore();
    }
  },
);
