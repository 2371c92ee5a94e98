/**
 * fast-check arbitraries from the JSON Schema of a zod request schema (`z.toJSONSchema`, input side):
 * values of the declared shape whose leaves lean towards what breaks things — control characters and
 * NUL in strings, lone surrogates, strings at and past their length limit, numbers at the edges of
 * doubles and of their bounds, dates far away — plus, at the top, values of no declared shape at all
 * (wrong types, deep nesting, unknown fields).
 */
import fc from "fast-check";

// deno-lint-ignore no-explicit-any
export type JsonSchema = Record<string, any>;

export interface ArbitraryContext {
  defs: Record<string, JsonSchema>;
  /** Ids worth hitting for a UUID field (existing rows of the caller's organization), read at generation time. */
  uuids: () => string[];
  /** Values for fields of this name (e.g. a password the policy accepts), mixed in with generated ones. */
  hints?: Record<string, fc.Arbitrary<unknown>>;
  now?: number;
}

const HOSTILE_CHARS = [
  "\u0000",
  "\u0001",
  "\u0008",
  "\u001b",
  "\u007f",
  "\u0085",
  "\u009f",
  "\n",
  "\r\n",
  "\t",
  "\ud800",
  "\udfff",
  "\u2028",
  "\ufeff",
  "\u202e",
  "'",
  '"',
  "\\",
  "%00",
  "${x}",
  "<script>",
  "😀",
];

const EDGE_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.1,
  0.0001,
  0.0004,
  0.0005,
  0.00001,
  1e-7,
  5e-324,
  -5e-324,
  2.2250738585072014e-308,
  1e308,
  -1e308,
  Number.MAX_VALUE,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  2 ** 31,
  -(2 ** 31) - 1,
  99999999.99995,
  123456789.123456,
  0.89996,
  0.89999,
  1.0000001,
];

const MINUTE = 60_000;
/** A well-formed id of no row, when there are no real ones to pick (kept fixed so a seed replays). */
export const NO_ROW = "00000000-0000-4000-8000-000000000000";

/** NUL weighs most: Postgres can store no text with it, so it is the likeliest 500. */
const hostileChar = fc.oneof(
  { weight: 2, arbitrary: fc.constant("\u0000") },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_CHARS) },
);

function hostileString(min: number, max: number): fc.Arbitrary<string> {
  return fc.tuple(fc.string({ maxLength: 6 }), hostileChar, fc.string({ maxLength: 6 }))
    .map(([a, bad, b]) => {
      let s = `${a}${bad}${b}`;
      while (s.length < min) s = `a${s}`;
      return s.length > max ? s.slice(0, Math.max(min, max)) : s;
    });
}

function plainString(min: number, max: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: Math.max(min, Math.min(max, 40)) }) },
    { weight: 3, arbitrary: hostileString(min, max) },
    {
      weight: 1,
      arbitrary: fc.string({ unit: "binary", minLength: min, maxLength: Math.max(min, Math.min(max, 30)) }),
    },
    // At the limit, one past it, and far past it.
    { weight: 1, arbitrary: fc.constantFrom(max, max + 1, 20_000).map((n) => "x".repeat(Math.min(n, 200_000))) },
  );
}

function uuidLike(ctx: ArbitraryContext): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.nat().map((i) => ctx.uuids()[i % Math.max(1, ctx.uuids().length)] ?? NO_ROW),
    },
    { weight: 2, arbitrary: fc.uuid() },
    {
      weight: 1,
      arbitrary: fc.constantFrom("00000000-0000-0000-0000-000000000000", "not-a-uuid", "1", "", "\u0000"),
    },
  );
}

function dateTime(ctx: ArbitraryContext, tameOnly = false): fc.Arbitrary<string> {
  const now = ctx.now ?? Date.now();
  const five = Math.floor(now / (5 * MINUTE)) * 5 * MINUTE;
  const hour = Math.floor(now / (60 * MINUTE)) * 60 * MINUTE;
  const near = fc.oneof(
    // Near now on the grids the rules use: past readings, future bid intervals.
    { weight: 3, arbitrary: fc.integer({ min: -2 * 288, max: 288 }).map((k) => new Date(five + k * 5 * MINUTE)) },
    { weight: 3, arbitrary: fc.integer({ min: -48, max: 24 * 8 }).map((k) => new Date(hour + k * 60 * MINUTE)) },
    {
      weight: 2,
      arbitrary: fc.date({
        min: new Date("0001-01-01T00:00:00Z"),
        max: new Date("9999-12-31T23:59:59Z"),
        noInvalidDate: true,
      }),
    },
  ).map((d) => d.toISOString());
  if (tameOnly) {
    return fc.oneof(
      fc.integer({ min: -2 * 288, max: -1 }).map((k) => new Date(five + k * 5 * MINUTE).toISOString()),
      fc.integer({ min: 48, max: 24 * 5 }).map((k) => new Date(hour + k * 60 * MINUTE).toISOString()),
    );
  }
  return near.chain((iso) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(iso) },
      { weight: 1, arbitrary: fc.constant(iso.replace("Z", "+14:00")) },
      {
        weight: 1,
        arbitrary: fc.constantFrom("2025-02-30T00:00:00Z", "2024-12-31T23:59:60Z", "1970-01-01T00:00:00-12:00"),
      },
    )
  );
}

function numberArb(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const lo: number = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum : -1e9);
  const hi: number = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum : 1e9);
  const near = [lo, hi, lo + 1e-4, hi - 1e-4, lo + 1e-5, (lo + hi) / 2].filter(Number.isFinite);
  const inRange = integer
    ? fc.integer({ min: Math.max(Math.ceil(lo), -(2 ** 31)), max: Math.min(Math.floor(hi), 2 ** 31) })
    : fc.double({ min: Math.max(lo, -1e12), max: Math.min(hi, 1e12), noNaN: true, noDefaultInfinity: true });
  return fc.oneof(
    { weight: 4, arbitrary: inRange },
    { weight: 2, arbitrary: fc.constantFrom(...near) },
    { weight: 2, arbitrary: fc.constantFrom(...EDGE_NUMBERS) },
  );
}

/**
 * "tame": values a client would send (plain text within its limits, numbers well inside their bounds,
 * ids of real rows, dates near now); "wild": the same shape with every leaf leaning hostile.
 */
export type Mode = "tame" | "wild";

/** An arbitrary of values shaped by `schema`. */
export function arbitraryOf(
  schema: JsonSchema,
  ctx: ArbitraryContext,
  name = "",
  depth = 0,
  mode: Mode = "wild",
): fc.Arbitrary<unknown> {
  if (schema.$ref) {
    const id = String(schema.$ref).replace(/^#\/\$defs\//, "");
    return arbitraryOf(ctx.defs[id] ?? {}, ctx, name, depth + 1, mode);
  }
  const hint = ctx.hints?.[name];
  const own = mode === "tame" ? tame(schema, ctx, depth) : shaped(schema, ctx, depth);
  if (!hint) return own;
  return mode === "tame" ? hint : fc.oneof({ weight: 3, arbitrary: hint }, { weight: 2, arbitrary: own });
}

const TAME_CHARS = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"];

function tame(schema: JsonSchema, ctx: ArbitraryContext, depth: number): fc.Arbitrary<unknown> {
  const sub = (s: JsonSchema, name = "") => arbitraryOf(s, ctx, name, depth + 1, "tame");
  if (schema.anyOf || schema.oneOf) return fc.oneof(...(schema.anyOf ?? schema.oneOf).map((s: JsonSchema) => sub(s)));
  if (schema.allOf?.length) return sub(schema.allOf[0]);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string": {
      if (schema.format === "uuid") {
        return fc.nat().map((i) => ctx.uuids()[i % Math.max(1, ctx.uuids().length)] ?? NO_ROW);
      }
      if (schema.format === "date-time") return dateTime(ctx, true);
      if (schema.format === "email") return fc.uuid().map((u) => `fuzz-${u.slice(0, 8)}@example.com`);
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      const min = Math.max(schema.minLength ?? 0, 1);
      const max = Math.max(min, Math.min(schema.maxLength ?? 40, 40));
      return fc.string({ unit: fc.constantFrom(...TAME_CHARS), minLength: min, maxLength: max });
    }
    case "number":
    case "integer": {
      const lo = schema.minimum ?? schema.exclusiveMinimum ?? 0;
      const hi = Math.min(schema.maximum ?? schema.exclusiveMaximum ?? 1000, lo + 1000);
      return fc.integer({ min: 1, max: 999 }).map((k) => {
        const x = lo + ((hi - lo) * k) / 1000;
        return type === "integer"
          ? Math.max(Math.ceil(lo), Math.min(Math.floor(hi), Math.round(x)))
          : Number(x.toFixed(2));
      });
    }
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array": {
      const min = Math.max(schema.minItems ?? 0, 1);
      const item = schema.items ? sub(schema.items) : fc.constant(1);
      return fc.array(item, { minLength: min, maxLength: Math.max(min, Math.min(schema.maxItems ?? 2, 2)) });
    }
    case "object": {
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set<string>(schema.required ?? []);
      const record = fc.record(
        Object.fromEntries(Object.entries(props).map(([k, s]) => [k, sub(s, k)])),
        { requiredKeys: Object.keys(props).filter((k) => required.has(k)) },
      );
      const extra = schema.additionalProperties;
      if (extra && typeof extra === "object") {
        const keys = fc.string({ unit: fc.constantFrom(...TAME_CHARS), minLength: 1, maxLength: 10 });
        return fc.tuple(record, fc.dictionary(keys, sub(extra), { maxKeys: 3 })).map(([a, b]) => ({ ...b, ...a }));
      }
      return record;
    }
    default:
      return fc.constant(1);
  }
}

/** A leaf worse than any field expects: for text, control characters and huge strings; for numbers, edges. */
const hostileLeaf = {
  string: fc.oneof({ weight: 5, arbitrary: hostileString(0, 200) }, {
    weight: 1,
    arbitrary: fc.constantFrom(200, 20_000).map((n) => "x".repeat(n)),
  }),
  number: fc.constantFrom(...EDGE_NUMBERS),
  any: fc.constantFrom<unknown>(null, "1", 1, [], {}, true, [[[]]]),
};

type Path = (string | number)[];

function leavesOf(v: unknown, path: Path = [], out: { path: Path; key?: boolean }[] = []) {
  if (Array.isArray(v)) v.forEach((x, i) => leavesOf(x, [...path, i], out));
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      out.push({ path: [...path, k], key: true });
      leavesOf(x, [...path, k], out);
    }
  } else out.push({ path });
  return out;
}

/** A copy of `v` with the value (or key) at `path` replaced. */
function replaced(v: unknown, path: Path, key: boolean, by: (old: unknown) => unknown): unknown {
  if (!path.length) return by(v);
  const [head, ...rest] = path;
  if (Array.isArray(v)) return v.map((x, i) => (i === head ? replaced(x, rest, key, by) : x));
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    if (k !== head) out[k] = x;
    else if (key && !rest.length) out[String(by(k))] = x;
    else out[k] = replaced(x, rest, key, by);
  }
  return out;
}

/** A valid-looking value with exactly one leaf (or key) made hostile: the others let it reach the database. */
export function withOneHostileLeaf(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(base, fc.nat(), hostileLeaf.string, hostileLeaf.number, hostileLeaf.any, fc.nat({ max: 9 })).map(
    ([v, i, str, num, any, dice]) => {
      const leaves = leavesOf(v);
      if (!leaves.length) return v;
      const { path, key } = leaves[i % leaves.length];
      return replaced(v, path, Boolean(key), (old) => {
        if (key) return `${String(old)}${str}`;
        if (dice === 0) return any; // the wrong type altogether
        return typeof old === "number" ? num : typeof old === "string" ? str : any;
      });
    },
  );
}

function shaped(schema: JsonSchema, ctx: ArbitraryContext, depth: number): fc.Arbitrary<unknown> {
  if (schema.anyOf || schema.oneOf) {
    return fc.oneof(...(schema.anyOf ?? schema.oneOf).map((s: JsonSchema) => arbitraryOf(s, ctx, "", depth + 1)));
  }
  if (schema.allOf?.length) return arbitraryOf(schema.allOf[0], ctx, "", depth + 1);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (type.length > 1) return fc.oneof(...type.map((t: string) => shaped({ ...schema, type: t }, ctx, depth)));
  switch (type[0]) {
    case "string": {
      if (schema.format === "uuid") return uuidLike(ctx);
      if (schema.format === "date-time") return dateTime(ctx);
      if (schema.format === "email") {
        return fc.oneof(
          fc.uuid().map((u) => `fuzz-${u.slice(0, 8)}@example.com`),
          fc.emailAddress(),
          hostileString(3, 60).map((s) => `${s}@example.com`),
        );
      }
      const min = schema.minLength ?? 0;
      const max = schema.maxLength ?? 200;
      if (schema.pattern) {
        return fc.oneof(
          { weight: 3, arbitrary: fc.stringMatching(new RegExp(schema.pattern)) },
          { weight: 1, arbitrary: plainString(min, max) },
        );
      }
      return plainString(min, max);
    }
    case "number":
      return numberArb(schema, false);
    case "integer":
      return numberArb(schema, true);
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array": {
      const item = schema.items ? arbitraryOf(schema.items, ctx, "", depth + 1) : fc.jsonValue({ maxDepth: 1 });
      const min = schema.minItems ?? 0;
      return fc.array(item, { minLength: min, maxLength: Math.max(min, Math.min(schema.maxItems ?? 4, 4)) });
    }
    case "object": {
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set<string>(schema.required ?? []);
      const record = fc.record(
        Object.fromEntries(Object.entries(props).map(([k, s]) => [k, arbitraryOf(s, ctx, k, depth + 1)])),
        { requiredKeys: Object.keys(props).filter((k) => required.has(k)) },
      );
      const extra = schema.additionalProperties;
      if (extra && typeof extra === "object") {
        const keyArb = schema.propertyNames
          ? arbitraryOf(schema.propertyNames, ctx, "", depth + 1) as fc.Arbitrary<string>
          : plainString(0, 64);
        return fc.tuple(record, fc.dictionary(keyArb, arbitraryOf(extra, ctx, "", depth + 1), { maxKeys: 4 }))
          .map(([a, b]) => ({ ...b, ...a }));
      }
      return record;
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Nesting `depth` deep, as arrays or objects. */
export function deeplyNested(depth: number, asObject: boolean): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = asObject ? { a: v } : [v];
  return v;
}

/** A whole request value: mostly shaped, sometimes of no shape at all, sometimes with an unknown field. */
export function hostileValue(schema: JsonSchema, ctx: ArbitraryContext): fc.Arbitrary<unknown> {
  const shapedArb = arbitraryOf(schema, ctx);
  const tameArb = arbitraryOf(schema, ctx, "", 0, "tame");
  return fc.oneof(
    { weight: 8, arbitrary: withOneHostileLeaf(tameArb) },
    { weight: 4, arbitrary: shapedArb },
    { weight: 2, arbitrary: tameArb },
    {
      weight: 1,
      arbitrary: fc.tuple(shapedArb, fc.constantFrom("__proto__", "constructor", "zzz", "\u0000", "")).map((
        [v, k],
      ) => (v && typeof v === "object" && !Array.isArray(v) ? JSON.parse(JSON.stringify({ ...v, [k]: 1 })) : v)),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(64, 1000, 20_000), fc.boolean()).map(([d, o]) => deeplyNested(d, o)),
    },
  );
}

/** Bodies that are not JSON.stringify output: what a hostile client writes by hand. */
export const RAW_BODIES = [
  "",
  "{",
  "null",
  "[]",
  '"\\u0000"',
  '{"a":1e400}',
  '{"a":-1e400}',
  "[".repeat(100_000),
  '{"a":'.repeat(50_000) + "1" + "}".repeat(50_000),
  '{"name":"\\ud800"}',
  '{"__proto__":{"admin":true}}',
  "\u0000",
  "\ufeff{}",
];
