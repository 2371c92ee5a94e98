/**
 * The API convention: a route declares zod schemas for params, query, body and
 * responses, and the permission it needs. The layer validates input once at the
 * edge (400 with every field's error; unknown fields rejected), checks the
 * permission, and the same declarations generate the OpenAPI document.
 */
import { z } from "zod";
import { HttpError } from "./http_error.ts";
import type { FreshContext, HandlerFn, Method } from "./types.ts";

export const API_SPEC = Symbol.for("optibid.api");

type AnyZod = z.ZodType;
type Infer<T> = T extends AnyZod ? z.infer<T> : undefined;

export interface ApiResponseSpec {
  description: string;
  /** JSON body schema; omit for empty bodies or non-JSON ones (set contentType). */
  schema?: AnyZod;
  contentType?: string;
}

export interface ApiOperation<State, P, Q, B> {
  summary: string;
  description?: string;
  tags?: string[];
  /** "public" or a permission the caller's role must grant (checked by the app's `authorize`). */
  // deno-lint-ignore ban-types
  permission: "public" | (string & {});
  /** A feature flag the caller's organization must have (checked by the app's `requireFeature`): 404 when off. */
  feature?: string;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * A body that is not JSON (a file upload), which the handler reads itself from `ctx.req`: documented in the
   * OpenAPI document, not parsed here.
   */
  rawBody?: { contentType: string; description: string };
  responses: Record<number, ApiResponseSpec>;
  handler(
    ctx: FreshContext<State>,
    input: { params: Infer<P>; query: Infer<Q>; body: Infer<B> },
  ): ApiResult | Promise<ApiResult>;
}

/** A handler returns a Response (streams, redirects) or a JSON body with a status validated against its schema. */
export type ApiResult = Response | { status?: number; body: unknown; headers?: HeadersInit };

// deno-lint-ignore no-explicit-any
export type ApiSpec = Partial<Record<Method, ApiOperation<any, any, any, any>>>;

export interface ApiRuntime {
  // deno-lint-ignore no-explicit-any
  authorize?: (ctx: FreshContext<any>, permission: string) => void | Promise<void>;
  // deno-lint-ignore no-explicit-any
  requireFeature?: (ctx: FreshContext<any>, feature: string) => void | Promise<void>;
  /** Check response bodies against their schemas (on in development and tests). */
  validateResponses: boolean;
}

const runtime: ApiRuntime = { validateResponses: true };

export function configureApi(options: Partial<ApiRuntime>): void {
  Object.assign(runtime, options);
}

/** Unknown fields are rejected everywhere: objects are made strict unless they declare a catchall. */
function strict<T extends AnyZod | undefined>(schema: T): T {
  if (schema instanceof z.ZodOptional) return z.optional(strict(schema.unwrap() as AnyZod)) as unknown as T;
  if (schema instanceof z.ZodObject) {
    const def = schema._zod.def as { catchall?: unknown };
    return (def.catchall ? schema : schema.strict()) as unknown as T;
  }
  return schema;
}

export type ApiHandlerMap<State> = Partial<Record<Method, HandlerFn<unknown, State>>> & { [API_SPEC]: ApiSpec };

/** Per method: `{ GET: op(...), POST: op(...) }` — returns a handler map the router understands. */
export function defineApi<State>(spec: ApiSpec): ApiHandlerMap<State> {
  const map = { [API_SPEC]: spec } as ApiHandlerMap<State>;
  for (const [method, op] of Object.entries(spec) as [Method, ApiOperation<State, AnyZod, AnyZod, AnyZod>][]) {
    const params = op.params;
    const query = strict(op.query);
    const body = strict(op.body);
    // The OpenAPI document reads the spec: it must describe the strict schemas actually enforced.
    spec[method] = { ...op, query, body };
    map[method] = async (ctx) => {
      if (op.permission !== "public") {
        if (!runtime.authorize) throw new HttpError(401);
        await runtime.authorize(ctx, op.permission);
      }
      if (op.feature) {
        if (!runtime.requireFeature) throw new HttpError(404);
        await runtime.requireFeature(ctx, op.feature);
      }
      const issues: Issue[] = [];
      // A NUL reaches a decoded parameter only as `%00` (the URL parser escapes a raw one).
      if (ctx.url.search.includes("%00")) refuseNul([...ctx.url.searchParams], "query");
      const input = {
        params: parsePart(params, ctx.params, "params", issues),
        // No schema, nothing to read: the query string is not even turned into an object.
        query: query ? parsePart(query, queryObject(ctx.url.searchParams), "query", issues) : undefined,
        body: body ? parsePart(body, await readBody(ctx.req, body), "body", issues) : undefined,
      };
      if (issues.length) {
        throw new HttpError(400, "The request is invalid: " + issues.map((i) => `${i.path}: ${i.message}`).join("; "), {
          code: "validation_failed",
          details: issues,
        });
      }
      const result = await op.handler(ctx, input as never);
      return result instanceof Response ? result : jsonResult(method, op, result);
    };
  }
  return map;
}

interface Issue {
  path: string;
  message: string;
  code: string;
}

function parsePart(schema: AnyZod | undefined, value: unknown, where: string, issues: Issue[]): unknown {
  if (!schema) return where === "params" ? value : undefined;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  for (const i of r.error.issues) {
    const keys = i.code === "unrecognized_keys" ? (i as { keys: string[] }).keys : [null];
    for (const key of keys) {
      issues.push({
        path: [where, ...i.path, ...(key ? [key] : [])].map(String).join("."),
        message: key ? `unknown field "${key}"` : i.message,
        code: i.code,
      });
    }
  }
  return undefined;
}

/** Query strings become objects; a repeated key becomes an array. */
export function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/**
 * Postgres cannot store U+0000 in text or jsonb, so no field may carry it. The schemas refuse control
 * characters field by field (services/schemas/text.ts); this check at the edge covers a field whose
 * schema forgot, and inputs no schema reads. (Path parameters are left to their schemas: ids are UUIDs.)
 */
function refuseNul(value: unknown, where: string): void {
  if (containsNul(value)) {
    const message = "contains a NUL character (U+0000), which cannot be stored";
    throw new HttpError(400, `The request is invalid: ${where}: ${message}`, {
      code: "validation_failed",
      details: [{ path: where, message, code: "invalid_text" }],
    });
  }
}

/** Iterative, so a deeply nested body cannot overflow the stack. */
function containsNul(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (v.includes("\u0000")) return true;
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes("\u0000")) return true;
        stack.push(x);
      }
    }
  }
  return false;
}

/** JSON media types: application/json and application/*+json. */
export function isJsonMediaType(contentType: string | null): boolean {
  return /^application\/(.+\+)?json\s*(;|$)/i.test(contentType ?? "");
}

/**
 * The body as text. A body that cannot be read (the client sent less than its Content-Length and
 * half-closed, or reset) is the client's fault: 400, not the "BadResource" a read throws.
 */
async function readBodyText(req: Request): Promise<string> {
  try {
    return await req.text();
  } catch (e) {
    throw unreadable(e);
  }
}

/** The body as form fields (urlencoded or multipart); an unreadable or malformed body is a 400. */
export async function readFormData(req: Request): Promise<FormData> {
  try {
    return await req.formData();
  } catch (e) {
    throw unreadable(e);
  }
}

function unreadable(e: unknown): HttpError {
  // An HttpError here is the body limit's 413, raised while the body streams in.
  if (e instanceof HttpError) return e;
  return new HttpError(400, `The request body could not be read: ${(e as Error)?.message ?? String(e)}`, {
    code: "unreadable_body",
  });
}

/**
 * An optional body may be left out entirely, whatever Content-Type the client sets on an empty request
 * (many send `application/json` with no body); a body that is sent must be JSON.
 */
async function readBody(req: Request, schema: AnyZod): Promise<unknown> {
  const optional = schema.safeParse(undefined).success;
  if (optional && (!req.body || req.headers.get("content-length") === "0")) return undefined;
  return await readJson(req, optional);
}

async function readJson(req: Request, optional = false): Promise<unknown> {
  if (!isJsonMediaType(req.headers.get("content-type"))) {
    throw new HttpError(415, "Send the body as JSON with Content-Type: application/json", {
      code: "unsupported_media_type",
    });
  }
  const text = await readBodyText(req);
  if (!text && optional) return undefined;
  if (!text) throw new HttpError(400, "The request body is empty; a JSON body is required", { code: "invalid_json" });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `The request body is not valid JSON: ${(e as Error).message}`, { code: "invalid_json" });
  }
  // JSON carries a NUL only as the escape `\u0000` (JSON.parse refuses a raw one), so the walk is skipped
  // unless the text has it: one native scan instead of a walk of every body.
  if (text.includes("\\u0000")) refuseNul(value, "body");
  return value;
}

function jsonResult(
  method: string,
  op: ApiOperation<unknown, unknown, unknown, unknown>,
  result: { status?: number; body: unknown; headers?: HeadersInit },
): Response {
  const status = result.status ?? 200;
  if (runtime.validateResponses) {
    const spec = op.responses[status];
    if (!spec) throw new Error(`${method} ${op.summary}: status ${status} is not declared in responses`);
    if (spec.schema) {
      const r = spec.schema.safeParse(result.body);
      if (!r.success) {
        throw new Error(`${method} ${op.summary}: response ${status} does not match its schema: ${r.error.message}`);
      }
    }
  }
  const headers = new Headers(result.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  if (!headers.has("cache-control")) headers.set("cache-control", "no-store");
  return new Response(status === 204 ? null : JSON.stringify(result.body), { status, headers });
}

export function getApiSpec(handler: unknown): ApiSpec | null {
  return handler && typeof handler === "object" && API_SPEC in handler
    ? (handler as { [API_SPEC]: ApiSpec })[API_SPEC]
    : null;
}

/** The error body every API failure uses. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
}).meta({ id: "Error" });
