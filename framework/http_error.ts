/** Thrown by handlers to end a request with a status; the layer turns it into a page or a JSON error. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message?: string,
    readonly options: { code?: string; details?: unknown; headers?: HeadersInit } = {},
  ) {
    super(message ?? defaultMessage(status));
    this.name = "HttpError";
  }
}

export function defaultMessage(status: number): string {
  switch (status) {
    case 400:
      return "Bad request";
    case 401:
      return "Authentication required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not found";
    case 405:
      return "Method not allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Request body too large";
    case 415:
      return "Unsupported media type";
    case 422:
      return "Unprocessable entity";
    case 429:
      return "Too many requests";
    case 503:
      return "Service unavailable";
    default:
      return status >= 500 ? "Internal server error" : "Request failed";
  }
}

/** A stable machine-readable code for a status, used in `{ error: { code } }`. */
export function defaultCode(status: number): string {
  return defaultMessage(status).toLowerCase().replace(/[^a-z]+/g, "_");
}
