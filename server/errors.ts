/**
 * Failures that are nobody's bug: the system of record is unreachable or
 * restarting. The client gets 503 with Retry-After (and can retry safely with
 * an Idempotency-Key), never a 500.
 */
import { HttpError } from "../framework/http_error.ts";
import { DatabaseUnavailableError } from "../services/adapters/database.ts";
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
export function httpErrorOf(err: DomainError): HttpError {
  const headers = err.options.retryAfter !== undefined
    ? { "Retry-After": String(Math.max(1, Math.ceil(err.options.retryAfter))) }
    : undefined;
  return new HttpError(STATUS_OF[err.kind], err.message, { code: err.code, details: err.options.details, headers });
}

/** postgres.js connection errors and Postgres' own "connection exception" / "shutting down" codes. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up)
]);

export function isDatabaseOutage(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  const e = err as { code?: unknown; errno?: unknown; name?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  const code = typeof e.code === "string" ? e.code : typeof e.errno === "string" ? e.errno : "";
  return CONNECTION_CODES.has(code) || code.startsWith("08") ||
    (e.name === "ConnectionRefused" || e.name === "ConnectionReset");
}

export function classifyError(err: unknown): HttpError | null {
  if (err instanceof DomainError) return httpErrorOf(err);
  // A row referring to one deleted meanwhile (e.g. an asset removed on another instance).
  if ((err as { code?: unknown })?.code === "23503") {
    return new HttpError(409, "Something this request refers to was deleted meanwhile; reload and retry", {
      code: "reference_gone",
    });
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
