/**
 * The queue's wire format, the same on Kafka and on the Deno KV queue: a JSON
 * envelope with a schema version, so consumers can refuse what they don't know.
 */
import { z } from "zod";

export const WIRE_VERSION = 1;

export const envelopeSchema = z.strictObject({
  v: z.literal(WIRE_VERSION, { error: (i) => `unsupported envelope version ${JSON.stringify(i.input)}` }),
  topic: z.string().regex(/^[\w.-]{1,200}$/, "topic: letters, digits, . _ - only"),
  key: z.string().max(1000).nullable(),
  idempotencyKey: z.string().min(1).max(500),
  publishedAt: z.iso.datetime(),
  payload: z.unknown(),
});

export type Envelope<T = unknown> = Omit<z.infer<typeof envelopeSchema>, "payload"> & { payload: T };

export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireFormatError";
  }
}

export function envelope<T>(topic: string, payload: T, opts: { key?: string; idempotencyKey: string }): Envelope<T> {
  const env = {
    v: WIRE_VERSION,
    topic,
    key: opts.key ?? null,
    idempotencyKey: opts.idempotencyKey,
    publishedAt: new Date().toISOString(),
    payload,
  };
  const r = envelopeSchema.safeParse(env);
  if (!r.success) throw new WireFormatError(r.error.issues.map((i) => i.message).join("; "));
  return env as Envelope<T>;
}

export function encode(env: Envelope): string {
  return JSON.stringify(env);
}

/** Parses bytes or text from the wire; throws WireFormatError with the reason. */
export function decode(data: string | Uint8Array | unknown): Envelope {
  let value: unknown = data;
  if (typeof data === "string" || data instanceof Uint8Array) {
    const text = typeof data === "string" ? data : new TextDecoder().decode(data);
    try {
      value = JSON.parse(text);
    } catch {
      throw new WireFormatError("message is not JSON");
    }
  }
  const r = envelopeSchema.safeParse(value);
  if (!r.success) {
    throw new WireFormatError(r.error.issues.map((i) => `${i.path.join(".") || "message"}: ${i.message}`).join("; "));
  }
  return r.data as Envelope;
}

/** Header names of a Kafka message (values are strings). */
export const KAFKA_HEADERS = {
  idempotencyKey: "idempotency-key",
  wireVersion: "wire-version",
  contentType: "content-type",
} as const;

/** A message as the producer sends it: the envelope's key as the Kafka key (partitioning), the envelope as value. */
export interface KafkaWireMessage {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

export function toKafkaMessage(env: Envelope): KafkaWireMessage {
  return {
    key: env.key,
    value: encode(env),
    headers: {
      [KAFKA_HEADERS.idempotencyKey]: env.idempotencyKey,
      [KAFKA_HEADERS.wireVersion]: String(env.v),
      [KAFKA_HEADERS.contentType]: "application/json",
    },
  };
}

type HeaderValue = string | Uint8Array | (string | Uint8Array)[] | undefined;

function text(v: string | Uint8Array): string {
  return typeof v === "string" ? v : new TextDecoder().decode(v);
}

/**
 * Decodes a message as a consumer receives it (Buffers, headers possibly absent).
 * Headers are optional, but when present they must agree with the envelope.
 */
export function fromKafkaMessage(
  message: {
    key?: string | Uint8Array | null;
    value: string | Uint8Array | null;
    headers?: Record<string, HeaderValue>;
  },
): Envelope {
  if (message.value === null) throw new WireFormatError("message has no value");
  const env = decode(message.value);
  const header = message.headers?.[KAFKA_HEADERS.idempotencyKey];
  if (header !== undefined) {
    const got = Array.isArray(header) ? header.map(text) : [text(header)];
    if (got.length !== 1 || got[0] !== env.idempotencyKey) {
      throw new WireFormatError(`${KAFKA_HEADERS.idempotencyKey} header does not match the envelope`);
    }
  }
  if (message.key !== undefined && message.key !== null && text(message.key) !== env.key) {
    throw new WireFormatError("Kafka key does not match the envelope's key");
  }
  return env;
}
