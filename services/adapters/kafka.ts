/**
 * Kafka (optional): the ingest bus and the outbox relay's target. The producer
 * is idempotent (exactly one copy per partition even when it retries). Every
 * connection step is bounded; kafkajs' own long retries are turned down so the
 * registry, not the client, decides when to try again.
 */
import type { Admin, Kafka, Producer } from "kafkajs";
import type { Config } from "../config/env.ts";
import type { ServiceAdapter } from "../health/types.ts";

export interface KafkaAdapter extends ServiceAdapter {
  kafka(): Kafka | null;
  /** The connected idempotent producer, or null while Kafka is not available. */
  producer(): Producer | null;
}

export function createKafkaAdapter(
  config: Pick<Config, "kafkaBrokers" | "kafkaClientId" | "serviceTimeoutMs">,
): KafkaAdapter {
  let kafka: Kafka | null = null;
  let admin: Admin | null = null;
  let producer: Producer | null = null;
  let healthy = false;

  const withAbort = <T>(p: Promise<T>, signal: AbortSignal): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal.reason ?? new Error("aborted"));
      signal.addEventListener("abort", onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });

  return {
    name: "kafka",
    required: false,
    configured: config.kafkaBrokers.length > 0,
    features: ["ingest bus (market_data.<zone>)", "bid events (bids.events)"],
    async start(signal) {
      const { Kafka, logLevel } = await import("kafkajs");
      (await import("./kafka_request_queue.ts")).quietIdleRequestQueues();
      kafka = new Kafka({
        clientId: config.kafkaClientId,
        brokers: config.kafkaBrokers,
        connectionTimeout: config.serviceTimeoutMs,
        requestTimeout: config.serviceTimeoutMs,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      });
      admin = kafka.admin();
      await withAbort(admin.connect(), signal);
      await withAbort(admin.describeCluster(), signal);
      producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: config.serviceTimeoutMs },
      });
      await withAbort(producer.connect(), signal);
      healthy = true;
    },
    async check(signal) {
      if (!admin) throw new Error("not connected");
      try {
        await withAbort(admin.describeCluster(), signal);
        healthy = true;
      } catch (e) {
        healthy = false;
        throw e;
      }
    },
    async stop() {
      healthy = false;
      const [a, p] = [admin, producer];
      admin = producer = kafka = null;
      await Promise.allSettled([a?.disconnect(), p?.disconnect()]);
    },
    kafka: () => kafka,
    producer: () => (healthy ? producer : null),
  };
}
