/**
 * Island props travel from server to browser as JSON plus two tagged types:
 * Date and Preact signals (as Fresh allows). Anything else that JSON would
 * silently mangle (functions, class instances, Maps, JSX) is an error at render
 * time that names the island and the prop, instead of a broken page later.
 */
import { Signal } from "@preact/signals";

export class SerializationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SerializationError";
  }
}

type Tagged = { __t: "Date"; v: string } | { __t: "Signal"; v: unknown } | { __t: "Undefined" };

function describe(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return "a symbol";
  if (typeof value === "bigint") return "a bigint";
  if (typeof value === "number") return String(value);
  const ctor = (value as { constructor?: { name?: string } }).constructor;
  if (ctor === undefined) return "JSX (island children and JSX props are not supported)";
  return `an instance of ${ctor?.name || "an unknown class"}`;
}

/** Turn a props value into plain JSON data; throws SerializationError naming the path. */
export function toSerializable(value: unknown, path: string, seen = new Set<unknown>()): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (value === undefined) return { __t: "Undefined" } satisfies Tagged;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new SerializationError(`${path} is ${describe(value)}, which JSON cannot carry`);
    return value;
  }
  if (typeof value !== "object") throw new SerializationError(`${path} is ${describe(value)}`);
  if (seen.has(value)) throw new SerializationError(`${path} is a circular reference`);
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new SerializationError(`${path} is an invalid Date`);
    return { __t: "Date", v: value.toISOString() } satisfies Tagged;
  }
  if (value instanceof Signal) {
    return { __t: "Signal", v: toSerializable(value.peek(), `${path}.value`, seen) } satisfies Tagged;
  }
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v, i) => toSerializable(v, `${path}[${i}]`, seen));
    const proto = Object.getPrototypeOf(value);
    if ((proto !== Object.prototype && proto !== null) || "__k" in value || "__v" in value) {
      throw new SerializationError(`${path} is ${describe(value)}`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === "__t") throw new SerializationError(`${path} uses the reserved key "__t"`);
      out[k] = toSerializable(v, `${path}.${k}`, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/**
 * JSON safe to place inside a `<script type="application/json">`, in ASCII only (a script's text does not
 * decode character references, so a page's other text is made ASCII another way: render.ts `asciiHtml`).
 */
export function stringifyForHtml(data: unknown): string {
  return JSON.stringify(data).replace(
    /[<\u0080-\uffff]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/** The browser side: revive tagged values. `makeSignal` is injected so this file stays DOM-free. */
export function revive(value: unknown, makeSignal: (v: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => revive(v, makeSignal));
  if (value === null || typeof value !== "object") return value;
  const tagged = value as Partial<Tagged> & Record<string, unknown>;
  if (tagged.__t === "Date") return new Date(tagged.v as string);
  if (tagged.__t === "Signal") return makeSignal(revive(tagged.v, makeSignal));
  if (tagged.__t === "Undefined") return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = revive(v, makeSignal);
  return out;
}
