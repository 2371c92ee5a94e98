/**
 * The queue's wire format (services/queue/wire.ts): what a publisher puts on Kafka or
 * the KV queue and what a consumer accepts. A consumer must refuse what it does not
 * understand with a WireFormatError, never hand a half-valid message to a handler.
 */
import assert from "node:assert/strict";
import {
  decode,
  encode,
  envelope,
  fromKafkaMessage,
  KAFKA_HEADERS,
  toKafkaMessage,
  WIRE_VERSION,
  WireFormatError,
} from "../../services/queue/wire.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("envelope: carries version, topic, key, idempotency key, publish time and payload", () => {
  const before = Date.now();
  const env = envelope("bids.events", { bidId: "b1", mw: 12.5 }, { key: "org-1", idempotencyKey: "bid-b1-submitted" });
  assert.equal(env.v, WIRE_VERSION);
  assert.equal(env.topic, "bids.events");
  assert.equal(env.key, "org-1");
  assert.equal(env.idempotencyKey, "bid-b1-submitted");
  assert.deepEqual(env.payload, { bidId: "b1", mw: 12.5 });
  const at = Date.parse(env.publishedAt);
  assert.ok(at >= before - 1 && at <= Date.now() + 1, `publishedAt ${env.publishedAt} is now`);
});

Deno.test("envelope: no key is null (not undefined), so it survives JSON", () => {
  const env = envelope("t", 1, { idempotencyKey: "k" });
  assert.equal(env.key, null);
  assert.equal(decode(encode(env)).key, null);
});

Deno.test("envelope: refuses a bad topic or idempotency key at the publisher", () => {
  assert.throws(() => envelope("bad topic!", {}, { idempotencyKey: "k" }), WireFormatError);
  assert.throws(() => envelope("", {}, { idempotencyKey: "k" }), WireFormatError);
  assert.throws(() => envelope("t", {}, { idempotencyKey: "" }), WireFormatError);
  assert.throws(() => envelope("t", {}, { idempotencyKey: "x".repeat(501) }), WireFormatError);
  assert.throws(() => envelope("t", {}, { key: "x".repeat(1001), idempotencyKey: "k" }), WireFormatError);
});

Deno.test("encode/decode: round trip from text and from bytes", () => {
  const env = envelope("market_data.PJM", { zone: "PJM", lmp: "31.42", at: "2026-01-01T00:00:00.000Z", n: [1, 2] }, {
    key: "PJM",
    idempotencyKey: "pjm-2026-01-01T00",
  });
  const text = encode(env);
  assert.equal(typeof text, "string");
  assert.deepEqual(decode(text), env);
  assert.deepEqual(decode(bytes(text)), env);
  // An already-parsed object (what the KV queue hands back) decodes the same.
  assert.deepEqual(decode(JSON.parse(text)), env);
});

Deno.test("encode/decode: unicode payloads survive the byte round trip", () => {
  const env = envelope("t", { note: "Zürich ⚡ 東京 🔋" }, { idempotencyKey: "ü-1" });
  assert.deepEqual(decode(bytes(encode(env))).payload, { note: "Zürich ⚡ 東京 🔋" });
});

function rejects(input: unknown, mention: RegExp) {
  assert.throws(() => decode(input), (e: unknown) => {
    assert.ok(e instanceof WireFormatError, `a WireFormatError, got ${e}`);
    assert.match(e.message, mention);
    return true;
  });
}

Deno.test("decode: refuses malformed messages, saying why", () => {
  const good = JSON.parse(encode(envelope("t", { a: 1 }, { idempotencyKey: "k" })));
  rejects("not json {", /not JSON/);
  rejects(bytes("\u0000\u0001"), /not JSON/);
  rejects("42", /message/);
  rejects("null", /message/);
  rejects({ ...good, v: 2 }, /unsupported envelope version 2/);
  rejects({ ...good, v: "1" }, /unsupported envelope version "1"/);
  const { idempotencyKey: _, ...noKey } = good;
  rejects(noKey, /idempotencyKey/);
  rejects({ ...good, idempotencyKey: "" }, /idempotencyKey/);
  rejects({ ...good, topic: "a/b" }, /topic/);
  rejects({ ...good, publishedAt: "yesterday" }, /publishedAt/);
  rejects({ ...good, key: 7 }, /key/);
  // Strict: a field this version does not know is refused, not ignored.
  rejects({ ...good, extra: true }, /extra|unrecognized/i);
});

Deno.test("Kafka message: the envelope's key is the Kafka key, the envelope the value, idempotency key in a header", () => {
  const env = envelope("bids.events", { bidId: "b7" }, { key: "org-9", idempotencyKey: "bid-b7-cleared" });
  const msg = toKafkaMessage(env);
  assert.equal(msg.key, "org-9");
  assert.deepEqual(decode(msg.value), env);
  assert.deepEqual(msg.headers, {
    [KAFKA_HEADERS.idempotencyKey]: "bid-b7-cleared",
    [KAFKA_HEADERS.wireVersion]: String(WIRE_VERSION),
    [KAFKA_HEADERS.contentType]: "application/json",
  });
  assert.equal(KAFKA_HEADERS.idempotencyKey, "idempotency-key");
  // Header values must be strings (or Buffers) for kafkajs: no numbers, no undefined.
  for (const v of Object.values(msg.headers)) assert.equal(typeof v, "string");
});

Deno.test("Kafka message: no key → null key (kafkajs then spreads messages over partitions)", () => {
  const msg = toKafkaMessage(envelope("t", 1, { idempotencyKey: "k1" }));
  assert.equal(msg.key, null);
});

Deno.test("Kafka message: decodes what a consumer receives (Buffers), with or without headers", () => {
  const env = envelope("t", { x: 1 }, { key: "k", idempotencyKey: "id-1" });
  const sent = toKafkaMessage(env);
  const received = {
    key: bytes(sent.key!),
    value: bytes(sent.value),
    headers: Object.fromEntries(Object.entries(sent.headers).map(([k, v]) => [k, bytes(v)])),
  };
  assert.deepEqual(fromKafkaMessage(received), env);
  assert.deepEqual(fromKafkaMessage({ key: null, value: sent.value }), env, "headers are optional");
});

Deno.test("Kafka message: refuses a tombstone, a bad value, and headers or key that contradict the envelope", () => {
  const env = envelope("t", { x: 1 }, { key: "k", idempotencyKey: "id-1" });
  const sent = toKafkaMessage(env);
  assert.throws(() => fromKafkaMessage({ key: "k", value: null }), WireFormatError);
  assert.throws(() => fromKafkaMessage({ key: "k", value: bytes("{") }), WireFormatError);
  assert.throws(
    () => fromKafkaMessage({ ...sent, headers: { ...sent.headers, [KAFKA_HEADERS.idempotencyKey]: "id-2" } }),
    /idempotency-key header/,
  );
  assert.throws(
    () => fromKafkaMessage({ ...sent, headers: { [KAFKA_HEADERS.idempotencyKey]: ["id-1", "id-2"] } }),
    WireFormatError,
  );
  assert.throws(() => fromKafkaMessage({ ...sent, key: "other" }), /key/);
});
