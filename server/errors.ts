/**
 * Failures that are nobody's bug: the system of record is unreachable or
 * restarting. The client gets 503 with Retry-After (and can retry safely with
 * an Idempotency-Key), never a 500.
 */
import { HttpError } from "../framework/http_error.ts";
import { isDatabaseOutage } from "../services/adapters/database_failures.ts";
import { DomainError, type DomainErrorKind } from "../services/errors.ts";

const STATUS_OF: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

/** The one mapping from the domain's refusals to HTTP. */
function httpErrorOf(err: DomainError): HttpError {
  const headers = err.options.retryAfter !== undefined
    ? { "Retry-After": String(Math.max(1, Math.ceil(err.options.retryAfter))) }
    : undefined;
  return new HttpError(STATUS_OF[err.kind], err.message, { code: err.code, details: err.options.details, headers });
}

/** The fields Postgres attaches to an error (postgres.js names, then PGlite's). */
interface PgErrorFields {
  code?: unknown;
  constraint_name?: string;
  constraint?: string;
  table_name?: string;
  table?: string;
  column_name?: string;
  column?: string;
}

/**
 * The input a database refusal is about: the column, else the column a `<table>_<column>_check` or
 * `<table>_<column>_key` constraint names, else the constraint itself.
 */
function subjectOf(e: PgErrorFields): { field?: string; constraint?: string } {
  const constraint = e.constraint_name ?? e.constraint;
  const table = e.table_name ?? e.table;
  let field = e.column_name ?? e.column;
  if (!field && constraint && table && constraint.startsWith(`${table}_`)) {
    const m = /^(.+)_(check|key|fkey|not_null)$/.exec(constraint.slice(table.length + 1));
    if (m && m[1] !== "check") field = m[1];
  }
  return { field, constraint };
}

function invalidValue(status: number, code: string, what: string, e: PgErrorFields): HttpError {
  const { field, constraint } = subjectOf(e);
  const about = field ? `${field}: ` : constraint ? `${constraint}: ` : "";
  return new HttpError(status, `${about}${what}`, {
    code,
    details: [{ path: field ?? constraint ?? "", message: what, code }],
  });
}

/**
 * Postgres refusing a value is the request's fault, whichever schema let it through: a 4xx naming
 * the field (or constraint), never a 500. Class 22 is "data exception"; the schemas
 * (services/schemas/) are meant to refuse all of these first.
 */
function classifyPostgres(e: PgErrorFields): HttpError | null {
  const code = typeof e.code === "string" ? e.code : "";
  switch (code) {
    case "23503": // A row referring to one deleted meanwhile (e.g. an asset removed on another instance).
      return new HttpError(409, "Something this request refers to was deleted meanwhile; reload and retry", {
        code: "reference_gone",
      });
    case "23514":
      return invalidValue(400, "check_violation", "the value breaks a rule of the stored data", e);
    case "23502":
      return invalidValue(400, "value_required", "a value is required", e);
    case "23505":
      return invalidValue(409, "already_exists", "another record already has this value", e);
    case "22001":
      return invalidValue(400, "value_too_long", "the text is too long", e);
    case "22003":
      return invalidValue(400, "number_out_of_range", "the number is out of the stored range", e);
    case "22021":
    case "22P05":
      return invalidValue(400, "invalid_text", "the text contains a character that cannot be stored", e);
  }
  if (/^22[0-9A-Z]{3}$/.test(code)) return invalidValue(400, "invalid_value", "the value cannot be stored", e);
  return null;
}

export function classifyError(err: unknown): HttpError | null {
  if (err instanceof DomainError) return httpErrorOf(err);
  if (err && typeof err === "object") {
    const pg = classifyPostgres(err as PgErrorFields);
    if (pg) return pg;
  }
  if (isDatabaseOutage(err)) {
    return new HttpError(503, "The database is unavailable; retry in a few seconds", {
      code: "database_unavailable",
      headers: { "Retry-After": "5" },
    });
  }
  return null;
}

/**
 * What a caller (a page's form handler, a batch) sees of a failure: an HttpError for anything the
 * client can act on or retry (domain refusals, outages), `null` for a bug (rethrow it).
 */
export function toHttpError(err: unknown): HttpError | null {
  return err instanceof HttpError ? err : classifyError(err);
}
