/**
 * What the domain says when it refuses: services and stores throw these, never an HTTP error.
 * The HTTP layer (server/errors.ts) is the one place that turns a kind into a status, so a
 * service can be called from a route, a job or a script alike.
 */

export type DomainErrorKind =
  | "invalid" // the input breaks a rule (400)
  | "unauthenticated" // no or bad credentials (401)
  | "forbidden" // the caller may not (403)
  | "not_found" // absent, or another organization's (404)
  | "conflict" // the state does not allow it now (409)
  | "gone" // existed, no longer usable (410)
  | "too_large" // (413)
  | "unprocessable" // well-formed but not actionable (422)
  | "rate_limited" // (429)
  | "unavailable"; // a backing service is down (503)

export interface DomainErrorOptions {
  /** A stable machine-readable code, e.g. `gate_closed`. */
  code?: string;
  /** Field-level issues or other structured context for the client. */
  details?: unknown;
  /** Seconds after which a retry may succeed (rate limits, outages). */
  retryAfter?: number;
}

export class DomainError extends Error {
  constructor(readonly kind: DomainErrorKind, message: string, readonly options: DomainErrorOptions = {}) {
    super(message);
    this.name = "DomainError";
  }
  get code(): string {
    return this.options.code ?? this.kind;
  }
}

/** Shorthands for the common refusals. */
export const invalid = (message: string, options?: DomainErrorOptions) => new DomainError("invalid", message, options);
export const notFound = (message = "Not found", options?: DomainErrorOptions) =>
  new DomainError("not_found", message, options);
export const conflict = (message: string, options?: DomainErrorOptions) =>
  new DomainError("conflict", message, options);
export const forbidden = (message = "Forbidden", options?: DomainErrorOptions) =>
  new DomainError("forbidden", message, options);
