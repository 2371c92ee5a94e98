/** OpenAPI 3.1 from the routes' own zod declarations (zod 4 emits JSON Schema 2020-12, which 3.1 uses). */
import { z } from "zod";
import { type ApiOperation, type ApiSpec, ErrorBody, getApiSpec } from "./api.ts";
import { parseRouteFile, toOpenApiPath } from "./route_path.ts";
import type { Manifest } from "./types.ts";

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

type JsonSchema = Record<string, unknown>;

/** Named schemas (`.meta({ id })`) collected while a document is built, for `components.schemas`. */
let components: Record<string, JsonSchema> = {};

/**
 * zod emits named schemas as `$defs` with `#/$defs/X` refs, relative to the schema
 * itself; in an OpenAPI document they must live in `components.schemas`. Input and
 * output forms of one schema can differ (defaults, transforms), so inputs get their own names.
 */
function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const raw = z.toJSONSchema(schema, { io, unrepresentable: "any", reused: "inline" }) as JsonSchema;
  delete raw.$schema;
  const suffix = io === "input" ? "Input" : "";
  const text = JSON.stringify(raw).replace(/"#\/\$defs\/([^"]+)"/g, (_, id) => `"#/components/schemas/${id}${suffix}"`);
  const s = JSON.parse(text) as JsonSchema;
  const defs = s.$defs as Record<string, JsonSchema> | undefined;
  delete s.$defs;
  for (const [id, def] of Object.entries(defs ?? {})) components[id + suffix] = def;
  return s;
}

function parameters(schema: z.ZodType | undefined, location: "path" | "query") {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, prop]) => {
    const js = schemaOf(prop, "input");
    const description = typeof js.description === "string" ? js.description : undefined;
    return {
      name,
      in: location,
      required: location === "path" || !prop.safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: js,
    };
  });
}

// deno-lint-ignore no-explicit-any
function operation(op: ApiOperation<any, any, any, any>, method: string, path: string) {
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(op.responses)) {
    responses[status] = {
      description: spec.description,
      ...(spec.schema
        ? { content: { [spec.contentType ?? "application/json"]: { schema: schemaOf(spec.schema, "output") } } }
        : spec.contentType
        ? { content: { [spec.contentType]: { schema: { type: "string" } } } }
        : {}),
    };
  }
  const errorResponse = {
    description: "Error",
    content: { "application/json": { schema: schemaOf(ErrorBody, "output") } },
  };
  if (op.params || op.query || op.body) responses["400"] ??= { ...errorResponse, description: "Invalid input" };
  if (op.permission !== "public") {
    responses["401"] ??= { ...errorResponse, description: "Authentication required" };
    responses["403"] ??= { ...errorResponse, description: `Requires permission ${op.permission}` };
  }
  if (op.feature) {
    responses["404"] ??= { ...errorResponse, description: `The feature ${op.feature} is off for your organization` };
  }
  return {
    operationId: `${method.toLowerCase()}${
      path.replace(/[{}]/g, "").replace(/[^a-zA-Z0-9]+(.)?/g, (_, c) => c ? c.toUpperCase() : "")
    }`,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.tags ? { tags: op.tags } : {}),
    ...(op.permission !== "public"
      ? { security: [{ bearerAuth: [] }, { cookieAuth: [] }], "x-permission": op.permission }
      : {}),
    ...(op.feature ? { "x-feature": op.feature } : {}),
    parameters: [...parameters(op.params, "path"), ...parameters(op.query, "query")],
    ...(op.body
      ? {
        requestBody: {
          required: !op.body.safeParse(undefined).success,
          content: { "application/json": { schema: schemaOf(op.body, "input") } },
        },
      }
      : op.rawBody
      ? {
        requestBody: {
          required: true,
          description: op.rawBody.description,
          content: { [op.rawBody.contentType]: { schema: { type: "string" } } },
        },
      }
      : {}),
    responses,
  };
}

export function buildOpenApi(manifest: Manifest, info: OpenApiInfo) {
  components = {};
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, mod] of Object.entries(manifest.routes)) {
    const spec: ApiSpec | null = getApiSpec(mod.handler);
    if (!spec) continue;
    const file = parseRouteFile(key);
    if (!file.pattern) continue;
    const path = toOpenApiPath(file.pattern);
    const item: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(spec)) {
      if (op) item[method.toLowerCase()] = operation(op, method, path);
    }
    paths[path] = item;
  }
  return {
    openapi: "3.1.0",
    info,
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT or API key" },
        cookieAuth: { type: "apiKey", in: "cookie", name: "ob_at" },
      },
    },
  };
}
