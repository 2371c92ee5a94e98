/**
 * Structured JSON logs, one object per line. Fields named like secrets are
 * redacted here, once, so no caller can leak a password or token by accident.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[_-]?key|credential/i;

let threshold: LogLevel = "info";

/**
 * Lines are batched and written to stdout at most every 20 ms (or at 64 KiB):
 * one write per batch instead of one console.log per request line, which cost
 * a quarter of the server's throughput. Flushed on exit.
 */
const encoder = new TextEncoder();
let pending: string[] = [];
let pendingBytes = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

/**
 * Writes of at most this many bytes to a pipe are atomic (Linux PIPE_BUF): processes sharing one stdout
 * (APP_PROCESSES) then never cut into each other's lines, as long as each write holds whole lines.
 */
const ATOMIC_WRITE = 4096;

export function flushLogs(): void {
  if (timer !== undefined) {
    clearTimeout(timer);
    timer = undefined;
  }
  if (!pending.length) return;
  const lines = pending;
  pending = [];
  pendingBytes = 0;
  try {
    let chunk = "";
    for (const line of lines) {
      if (chunk && chunk.length + line.length + 1 > ATOMIC_WRITE) {
        writeAll(chunk);
        chunk = "";
      }
      chunk += line + "\n";
    }
    if (chunk) writeAll(chunk);
  } catch {
    // stdout closed (e.g. the reader went away): nothing sensible left to do with logs
  }
}

function writeAll(text: string): void {
  const data = encoder.encode(text);
  let off = 0;
  while (off < data.length) off += Deno.stdout.writeSync(data.subarray(off));
}

function bufferedStdout(line: string): void {
  pending.push(line);
  pendingBytes += line.length;
  if (pendingBytes >= 64 * 1024) return flushLogs();
  if (timer === undefined) {
    const t = setTimeout(flushLogs, 20);
    Deno.unrefTimer(t as unknown as number);
    timer = t;
  }
}

globalThis.addEventListener("unload", flushLogs);

let sink: (line: string) => void = bufferedStdout;

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

/** Tests capture log lines by swapping the sink; returns a restore function. */
export function setLogSink(fn: (line: string) => void): () => void {
  const prev = sink;
  sink = fn;
  return () => {
    sink = prev;
  };
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: redactUrl(value.message) };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? "[redacted]" : redact(v, depth + 1);
  }
  return out;
}

/** Connection strings carry passwords: `postgres://u:secret@h` → `postgres://u:***@h`. */
export function redactUrl(text: string): string {
  return text.replace(/(\w+:\/\/[^:/@\s]+:)[^@\s]+@/g, "$1***@");
}

/**
 * The time of a line, written out once per millisecond: `toISOString` costs about a microsecond, as much as
 * the rest of an access line, and a busy server writes several lines within one millisecond.
 */
let isoAt = -1;
let isoText = "";
function isoNow(): string {
  const now = Date.now();
  if (now !== isoAt) {
    isoAt = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

function emit(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
  if (ORDER[level] < ORDER[threshold]) return;
  const entry = {
    time: isoNow(),
    level,
    msg: redactUrl(msg),
    ...(fields ? redact(fields) as Record<string, unknown> : {}),
  };
  sink(JSON.stringify(entry));
}

/**
 * One access line per request, on the request path: the same JSON as `log.info("request", …)` but written
 * out from a fixed shape, without the generic redaction walk or a JSON.stringify of an object, since none of
 * its fields can hold a secret (the path is the pathname only, never the query) and only the path can hold a
 * character JSON must escape (the id is a UUID or a short plain token, the method a token). Buffered like
 * every line (never a write per request).
 */
export function accessLog(line: { requestId: string; method: string; path: string; status: number; ms: number }): void {
  if (ORDER.info < ORDER[threshold]) return;
  sink(
    `{"time":"${isoNow()}","level":"info","msg":"request","requestId":${
      PLAIN.test(line.requestId) ? `"${line.requestId}"` : JSON.stringify(line.requestId)
    },"method":${PLAIN.test(line.method) ? `"${line.method}"` : JSON.stringify(line.method)},"path":${
      PLAIN_PATH.test(line.path) ? `"${line.path}"` : JSON.stringify(line.path)
    },"status":${line.status},"ms":${line.ms}}`,
  );
}

/** Strings JSON writes as they are: no quote, backslash, control or non-ASCII character. */
const PLAIN = /^[\w\-=]*$/;
const PLAIN_PATH = /^[\w\-=./:@~%+,;!$&'()*]*$/;

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => emit("debug", msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => emit("info", msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => emit("warn", msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => emit("error", msg, fields),
};
