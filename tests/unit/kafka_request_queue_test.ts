/**
 * kafkajs' request queue, quieted (services/adapters/kafka_request_queue.ts): an idle connection schedules no check of
 * pending requests, while a request that must wait is still sent once the one in flight is answered, and a throttled
 * queue still checks when its throttle ends. On the real class, through its own push and answer paths.
 */
import assert from "node:assert/strict";
import RequestQueue from "kafkajs/src/network/requestQueue/index.js";
import Connection from "kafkajs/src/network/connection.js";
import { createKafkaAdapter } from "../../services/adapters/kafka.ts";
import { loadConfig } from "../../services/config/env.ts";
import { quietIdleRequestQueues, requestQueuesQuieted } from "../../services/adapters/kafka_request_queue.ts";

const logger = { namespace: () => logger, debug() {}, info() {}, warn() {}, error() {}, setLogLevel() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Queue {
  pending: unknown[];
  inflight: Map<number, unknown>;
  throttledUntil: number;
  throttleCheckTimeoutId: unknown;
  push(r: unknown): void;
  fulfillRequest(r: { correlationId: number; payload: unknown; size: number }): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
}

function queue(): { q: Queue; sent: number[] } {
  const q = new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: "test",
    broker: "b:9092",
    logger,
  }) as unknown as Queue;
  const sent: number[] = [];
  return { q, sent };
}

function request(q: Queue, sent: number[], correlationId: number) {
  const answered = Promise.withResolvers<void>();
  q.push({
    entry: {
      correlationId,
      apiKey: 3,
      apiName: "Metadata",
      apiVersion: 0,
      resolve: () => answered.resolve(),
      reject() {},
    },
    expectResponse: true,
    sendRequest: () => sent.push(correlationId),
  });
  return answered.promise;
}

Deno.test("the Kafka adapter quiets the request queues before it connects", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close(); // a closed port: the connection fails at once
  const adapter = createKafkaAdapter(
    loadConfig({ KAFKA_BROKERS: `127.0.0.1:${port}`, SERVICE_TIMEOUT_MS: "500" } as Record<string, string>),
  );
  assert.equal(requestQueuesQuieted(), false, "first in this file: nothing has quieted them yet");
  await assert.rejects(adapter.start(new AbortController().signal));
  assert.ok(requestQueuesQuieted());
  await adapter.stop();
  // The class patched is the one kafkajs' own connections use (one module instance under Deno's npm loading).
  const conn = new Connection({
    host: "127.0.0.1",
    port,
    logger,
    socketFactory: () => ({}) as never,
    requestTimeout: 1000,
    connectionTimeout: 1000,
  }) as unknown as {
    requestQueue: object;
  };
  assert.equal(Object.getPrototypeOf(conn.requestQueue), RequestQueue.prototype);
});

Deno.test("kafkajs request queue: idle after an answer, no check is scheduled (the 1 ms loop is gone)", async () => {
  quietIdleRequestQueues();
  quietIdleRequestQueues(); // once only
  const { q, sent } = queue();
  const answer = request(q, sent, 1);
  assert.deepEqual(sent, [1]);
  q.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
  await answer;
  assert.equal(q.throttleCheckTimeoutId, null, "nothing pending, not throttled: no timer");
  q.destroy();
});

Deno.test("kafkajs request queue: a request that waits is sent when the one in flight is answered", async () => {
  quietIdleRequestQueues();
  const { q, sent } = queue();
  const first = request(q, sent, 1);
  const second = request(q, sent, 2); // one in flight at most: it waits
  assert.deepEqual(sent, [1]);
  assert.equal(q.pending.length, 1);
  q.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
  await first;
  assert.deepEqual(sent, [1, 2]);
  q.fulfillRequest({ correlationId: 2, payload: null, size: 0 });
  await second;
  clearTimeout(q.throttleCheckTimeoutId as number);
  q.destroy();
});

Deno.test("kafkajs request queue: throttled, a waiting request goes once the throttle ends", async () => {
  quietIdleRequestQueues();
  const { q, sent } = queue();
  q.maybeThrottle(40);
  const answer = request(q, sent, 7);
  assert.deepEqual(sent, [], "throttled: it waits");
  assert.notEqual(q.throttleCheckTimeoutId, null);
  // Sent once the throttle ends: waited for, however late a loaded machine runs the timer.
  for (let i = 0; i < 200 && !sent.length; i++) await sleep(10);
  assert.deepEqual(sent, [7]);
  q.fulfillRequest({ correlationId: 7, payload: null, size: 0 });
  await answer;
  clearTimeout(q.throttleCheckTimeoutId as number);
  q.destroy();
});
