/**
 * Which database failures pass: an outage (no connection, the server shutting down or starting) and the
 * failures of a moment (the request's deadline, a deadlock, a cancelled statement, a lock or a resource not
 * available now). Work that fails so is retried later; any other failure is about the work itself.
 */
import { DatabaseDeadlineError } from "./deadline.ts";
import { DatabaseUnavailableError } from "./database.ts";

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

const codeOf = (err: unknown): string => {
  const e = err as { code?: unknown; errno?: unknown } | null;
  if (!e || typeof e !== "object") return "";
  return typeof e.code === "string" ? e.code : typeof e.errno === "string" ? e.errno : "";
};

/** The database cannot be reached, or is going down or coming up. */
export function isDatabaseOutage(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  const code = codeOf(err);
  const name = (err as { name?: unknown } | null)?.name;
  return CONNECTION_CODES.has(code) || code.startsWith("08") || name === "ConnectionRefused" ||
    name === "ConnectionReset";
}

/**
 * An outage, or a failure that another attempt may not meet: the deadline, SQLSTATE classes 40 (deadlock,
 * serialization), 53 (insufficient resources), 58 (system error), 57014 (statement cancelled) and 55P03 (lock
 * not available).
 */
export function isPassingDatabaseFailure(err: unknown): boolean {
  if (err instanceof DatabaseDeadlineError || isDatabaseOutage(err)) return true;
  const code = codeOf(err);
  return /^(40|53|58)/.test(code) || code === "57014" || code === "55P03";
}
