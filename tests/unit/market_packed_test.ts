/**
 * The packed tick batch (version 2): what is published reads back exactly, a message stays under the KV
 * queue's 64 KiB whatever its values, and a malformed one is refused as strictly as version 1.
 */
import assert from "node:assert/strict";
import { PACK_LIMITS, packBatches, type PackedBatch, readTickBatch } from "../../services/market/packed.ts";
import type { LocationPrice, PriceTick, TickBatch } from "../../services/market/types.ts";
import { envelope } from "../../services/queue/wire.ts";

const tick = (i: number, lmp = 30 + i / 100): PriceTick => ({
  zone: "PJM",
  market: i % 3 ? "RT" : "DA",
  interval_start: new Date(Date.UTC(2026, 0, 5) + i * 300_000).toISOString(),
  interval_end: new Date(Date.UTC(2026, 0, 5) + i * 300_000 + (i % 3 ? 300_000 : 3_600_000)).toISOString(),
  lmp,
  energy: lmp - 1.25,
  congestion: 1,
  loss: 0.25,
});

const read = (payload: unknown): TickBatch => {
  const r = readTickBatch(JSON.parse(JSON.stringify(payload)));
  if ("error" in r) throw new Error(r.error);
  return r.batch;
};

Deno.test("packed batches read back as the very ticks and location prices published", () => {
  const ticks = Array.from({ length: 2000 }, (_, i) => tick(i, i % 7 ? 30 + i / 100 : -1e-7 * (i + 1)));
  const locations: LocationPrice[] = ticks.flatMap((t) =>
    ["AEP-DAYTON HUB", "WESTERN\tHUB\\x"].map((location, k) => ({
      zone: t.zone,
      location,
      market: t.market,
      interval_start: t.interval_start,
      interval_end: t.interval_end,
      lmp: t.lmp + k,
    }))
  );
  const batches = packBatches("PJM", "sim", ticks, locations, PACK_LIMITS.kv);
  assert.deepEqual(batches.map((b) => b.v), [2, 2, 2, 2, 2, 2, 2, 2], "3 of ticks, 5 of location prices, all packed");
  const back = batches.map(read);
  assert.deepEqual(back.flatMap((b) => b.ticks), ticks);
  assert.deepEqual(back.flatMap((b) => b.locations ?? []), locations);
  assert.ok(back.every((b) => b.v === 1 && b.source === "sim"));
});

Deno.test("a time a millisecond offset cannot spell exactly travels as version 1", () => {
  for (const odd of ["2026-01-05T10:00:00Z", "2026-01-05T10:00:00.000001Z"]) {
    const ticks = [tick(1), { ...tick(2), interval_start: odd }];
    const [batch] = packBatches("PJM", "sim", ticks, [], PACK_LIMITS.kv);
    assert.equal(batch.v, 1, odd);
    assert.deepEqual(read(batch).ticks, ticks);
  }
});

Deno.test("the largest packed message, whatever its values, fits a KV queue value (64 KiB)", async () => {
  // Non-integer doubles everywhere (9 bytes each when serialised), offsets beyond small integers.
  const rows = PACK_LIMITS.kv.rows;
  const worst = Array.from({ length: rows }, (_, i): PriceTick => ({
    zone: "PJM",
    market: "RT",
    interval_start: new Date(Date.UTC(2000, 0, 1) + i * 86_400_123).toISOString(),
    interval_end: new Date(Date.UTC(2000, 0, 1) + i * 86_400_123 + 299_999).toISOString(),
    lmp: -12345.678901234 - i / 7,
    energy: 9876.54321012 + i / 3,
    congestion: -0.123456789 - i / 11,
    loss: 0.987654321 + i / 13,
  }));
  const names = (i: number) => `${"N".repeat(60)}${String(i).padStart(4, "0")}`;
  const places = Array.from({ length: rows }, (_, i): LocationPrice => ({
    zone: "PJM",
    location: names(i),
    market: "DA",
    interval_start: worst[i].interval_start,
    interval_end: worst[i].interval_end,
    lmp: worst[i].lmp,
  }));
  const batches = packBatches("PJM", "s".repeat(64), worst, places, PACK_LIMITS.kv);
  assert.equal(batches[0].v, 2);
  assert.equal((batches[0] as PackedBatch).ticks?.m.length, rows);
  const kv = await Deno.openKv(":memory:");
  try {
    for (const b of batches) {
      const env = envelope("market_data.PJM", b, { key: "PJM", idempotencyKey: "k".repeat(64) });
      await kv.enqueue(env); // throws past 64 KiB
    }
    // The limit is real: twice the rows would not fit.
    const twice = packBatches("PJM", "s", [...worst, ...worst], [], { ...PACK_LIMITS.kv, rows: 2 * rows });
    await assert.rejects(() => kv.enqueue(envelope("market_data.PJM", twice[0], { idempotencyKey: "k" })));
  } finally {
    kv.close();
  }
});

Deno.test("what cannot be packed goes as version-1 batches the KV queue still takes", async () => {
  // Times without milliseconds: a whole chunk of rows falls back to version 1, which spells every field.
  const rows = PACK_LIMITS.kv.rows;
  const ticks = Array.from({ length: rows }, (_, i) => {
    const t = tick(i, -12345.678901234 - i / 7);
    return {
      ...t,
      interval_start: t.interval_start.replace(".000Z", "Z"),
      interval_end: t.interval_end.replace(".000Z", "Z"),
    };
  });
  const places = ticks.map((t, i): LocationPrice => ({
    zone: "PJM",
    location: `${"N".repeat(60)}${i % 40}`,
    market: t.market,
    interval_start: t.interval_start,
    interval_end: t.interval_end,
    lmp: t.lmp,
  }));
  const batches = packBatches("PJM", "sim", ticks, places, PACK_LIMITS.kv);
  assert.ok(batches.every((b) => b.v === 1) && batches.length > 2);
  const back = batches.map(read);
  assert.deepEqual(back.flatMap((b) => b.ticks), ticks);
  assert.deepEqual(back.flatMap((b) => b.locations ?? []), places);
  const kv = await Deno.openKv(":memory:");
  try {
    for (const b of batches) {
      await kv.enqueue(envelope("market_data.PJM", b, { key: "PJM", idempotencyKey: "k".repeat(64) }));
    }
  } finally {
    kv.close();
  }
});

Deno.test("a malformed packed batch is refused, not misread", () => {
  const [good] = packBatches("PJM", "sim", [tick(1), tick(2)], [], PACK_LIMITS.kv) as PackedBatch[];
  assert.deepEqual(read(good).ticks, [tick(1), tick(2)]);
  const t = good.ticks!;
  const bad: [unknown, string][] = [
    [{ ...good, v: 3 }, "a future version"],
    [{ ...good, zone: "XX" }, "unknown zone"],
    [{ ...good, extra: 1 }, "unknown field"],
    [{ ...good, ticks: { ...t, lmp: [1] } }, "columns of different lengths"],
    [{ ...good, ticks: { ...t, m: [0, 2] } }, "unknown market code"],
    [{ ...good, ticks: { ...t, lmp: [1, "2"] } }, "price as text"],
    [{ ...good, ticks: { ...t, lmp: [1, null] } }, "price missing (NaN/Infinity become null in JSON)"],
    [{ ...good, ticks: { ...t, s: [0, 0.5] } }, "a fraction of a millisecond"],
    [{ ...good, ticks: { ...t, s: [0, 1e16] } }, "a time past year 9999"],
    [{ ...good, ticks: { ...t, x: [] } }, "unknown column"],
    [{ ...good, ticks: { m: [], s: [], d: [], lmp: [], energy: [], congestion: [], loss: [] } }, "no price at all"],
    [
      { ...good, ticks: undefined, locations: { names: ["A"], at: [1], m: [0], s: [0], d: [1], lmp: [1] } },
      "unknown location",
    ],
    [
      { ...good, ticks: undefined, locations: { names: [""], at: [0], m: [0], s: [0], d: [1], lmp: [1] } },
      "empty name",
    ],
  ];
  for (const [value, why] of bad) {
    const r = readTickBatch(JSON.parse(JSON.stringify(value)));
    assert.ok("error" in r, why);
  }
});
