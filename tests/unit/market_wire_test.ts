/** The tick batch on the ingest bus: JSON with a schema version, strict, keyed by zone. */
import assert from "node:assert/strict";
import { TICK_BATCH_VERSION, tickBatchSchema } from "../../services/market/types.ts";
import { batchSizeFor, topicOf } from "../../services/market/ingest.ts";
import { envelope, fromKafkaMessage, toKafkaMessage } from "../../services/queue/wire.ts";

const tick = {
  zone: "ERCOT",
  market: "RT",
  interval_start: "2026-01-05T10:00:00.000Z",
  interval_end: "2026-01-05T10:05:00.000Z",
  lmp: -12.5,
  energy: -13,
  congestion: 0.25,
  loss: 0.25,
};

Deno.test("tick batch: version 1, strict, 1–5000 ticks", () => {
  assert.equal(TICK_BATCH_VERSION, 1);
  assert.ok(tickBatchSchema.safeParse({ v: 1, source: "simulator", ticks: [tick] }).success);
  const bad: [unknown, string][] = [
    [{ v: 2, source: "s", ticks: [tick] }, "a future version is refused, not misread"],
    [{ v: 1, source: "s", ticks: [] }, "empty"],
    [{ v: 1, source: "s", ticks: [{ ...tick, zone: "XX" }] }, "unknown zone"],
    [{ v: 1, source: "s", ticks: [{ ...tick, lmp: "12" }] }, "price as text"],
    [{ v: 1, source: "s", ticks: [{ ...tick, extra: 1 }] }, "unknown tick field"],
    [{ v: 1, source: "s", ticks: [tick], extra: 1 }, "unknown batch field"],
    [{ v: 1, source: "s", ticks: Array(5001).fill(tick) }, "too many"],
  ];
  for (const [value, why] of bad) assert.ok(!tickBatchSchema.safeParse(value).success, why);
});

Deno.test("tick batch: location prices ride beside the ticks, strict and bounded", () => {
  const price = {
    zone: "PJM",
    location: "AEP-DAYTON HUB",
    market: "DA",
    interval_start: "2026-01-05T10:00:00.000Z",
    interval_end: "2026-01-05T11:00:00.000Z",
    lmp: 41.25,
  };
  assert.ok(tickBatchSchema.safeParse({ v: 1, source: "sim", ticks: [], locations: [price] }).success);
  assert.ok(tickBatchSchema.safeParse({ v: 1, source: "sim", ticks: [tick], locations: [price] }).success);
  const bad: [unknown, string][] = [
    [{ v: 1, source: "s", ticks: [], locations: [] }, "no price at all"],
    [{ v: 1, source: "s", ticks: [], locations: [{ ...price, location: "" }] }, "no location"],
    [{ v: 1, source: "s", ticks: [], locations: [{ ...price, location: "x".repeat(65) }] }, "location too long"],
    [{ v: 1, source: "s", ticks: [], locations: [{ ...price, lmp: Infinity }] }, "not finite"],
    [{ v: 1, source: "s", ticks: [], locations: [{ ...price, energy: 1 }] }, "unknown field"],
    [{ v: 1, source: "s", ticks: [], locations: Array(5001).fill(price) }, "too many"],
  ];
  for (const [value, why] of bad) assert.ok(!tickBatchSchema.safeParse(value).success, why);
});

Deno.test("on Kafka a batch is a JSON message on market_data.<zone>, keyed by zone", () => {
  const batch = { v: TICK_BATCH_VERSION, source: "simulator", ticks: [tick] };
  const env = envelope(topicOf("ERCOT"), batch, { key: "ERCOT", idempotencyKey: "k1" });
  const msg = toKafkaMessage(env);
  assert.equal(topicOf("ERCOT"), "market_data.ERCOT");
  assert.equal(String(msg.key), "ERCOT");
  const value = JSON.parse(String(msg.value));
  assert.deepEqual(value.payload, batch);
  const back = fromKafkaMessage(msg as never);
  assert.deepEqual(back.payload, batch);
  // How many ticks a message holds: services/market/packed.ts (tests/unit/market_packed_test.ts).
  assert.ok(batchSizeFor("kafka") >= batchSizeFor("kv"));
});
