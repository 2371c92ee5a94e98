import assert from "node:assert/strict";
import { createClickhouseAdapter } from "../../services/adapters/clickhouse.ts";
import { loadConfig } from "../../services/config/env.ts";
import { HealthRegistry } from "../../services/health/registry.ts";
import { setLogSink } from "../../services/log/logger.ts";
import { waitForStatus } from "../helpers/health.ts";
import { serviceTest, testServices } from "../helpers/services.ts";

const urlWithDb = () => `${testServices.clickhouse}/${testServices.clickhouseDb}`;

serviceTest("clickhouse adapter reaches available against the real server and stops", ["clickhouse"], async () => {
  const restore = setLogSink(() => {});
  const adapter = createClickhouseAdapter(loadConfig({ CLICKHOUSE_URL: urlWithDb() }));
  const registry = new HealthRegistry({ attemptTimeoutMs: 2000 }).register(adapter);
  try {
    assert.equal(adapter.configured, true);
    await registry.start();
    const state = await waitForStatus(registry, "clickhouse", "available", 5000);
    assert.ok(state.latencyMs !== null && state.latencyMs > 0, "latency of the start round trip is recorded");
    assert.equal(state.lastError, null);
    assert.ok(state.lastCheck);
    assert.match(adapter.serverVersion() ?? "", /^\d+\.\d+/);

    await registry.checkNow("clickhouse");
    const checked = registry.state("clickhouse")!;
    assert.equal(checked.status, "available");
    assert.ok(checked.lastCheck! >= state.lastCheck!);
    assert.ok(checked.latencyMs !== null && checked.latencyMs > 0);

    // The client works with the database named in the URL, and with what old servers accept
    // (no server-side query parameters before ClickHouse 19).
    const client = adapter.client()!;
    await client.command({
      query: "CREATE TABLE probe (zone String, lmp Float64) ENGINE = MergeTree ORDER BY zone",
    });
    await client.insert({
      table: "probe",
      values: [{ zone: "PJM-RTO", lmp: 31.5 }, { zone: "ERCOT", lmp: 22.25 }],
      format: "JSONEachRow",
    });
    const rows = await (await client.query({
      query: "SELECT count() AS n, sum(lmp) AS total FROM probe",
      format: "JSONEachRow",
    })).json<{ n: string; total: number }>();
    assert.deepEqual(rows, [{ n: "2", total: 53.75 }]);
  } finally {
    await registry.stop();
    restore();
  }
  assert.equal(adapter.client(), null, "stop() released the client");
});

serviceTest("clickhouse adapter: a missing database or a wrong user fails start with the server's message", [
  "clickhouse",
], async () => {
  const missing = createClickhouseAdapter(loadConfig({ CLICKHOUSE_URL: `${testServices.clickhouse}/no_such_db_x` }));
  await assert.rejects(missing.start(AbortSignal.timeout(2000)), /no_such_db_x doesn't exist/);
  assert.equal(missing.client(), null);

  const u = new URL(testServices.clickhouse!);
  u.username = "no_such_user";
  u.password = "pw";
  const wrongUser = createClickhouseAdapter(loadConfig({ CLICKHOUSE_URL: u.toString() }));
  await assert.rejects(wrongUser.start(AbortSignal.timeout(2000)), /no_such_user/);
  await wrongUser.stop();
  await missing.stop();
});

Deno.test("clickhouse adapter without CLICKHOUSE_URL is disabled", async () => {
  const adapter = createClickhouseAdapter(loadConfig({}));
  assert.equal(adapter.configured, false);
  assert.equal(adapter.client(), null);
  assert.deepEqual([...adapter.features], ["analytics at scale", "price history (columnar)"]);
  const registry = new HealthRegistry({ attemptTimeoutMs: 500 }).register(adapter);
  await registry.start();
  assert.equal(registry.state("clickhouse")?.status, "disabled");
  await registry.stop();
});
