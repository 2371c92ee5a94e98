/** Postgres through postgres.js, for DATABASE_URL. */
import type { Database, QueryOptions, Transaction } from "../../db/database.ts";
import net from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { bounded, DatabaseDeadlineError, remainingMs } from "./deadline.ts";
import { preparedTexts } from "./prepared_texts.ts";

export interface PostgresOptions {
  /** Pool size. */
  max?: number;
  connectTimeoutSeconds?: number;
}

/**
 * Pause before reconnecting after a failed connection. postgres.js grows it to 10–20 s with one
 * counter for the whole pool, so an app kept waiting long after Postgres was back; a short constant
 * brings it back within a fraction of a second. Only a query that waits for a connection triggers an
 * attempt, and each request's wait is bounded by its deadline, so a long outage costs one quick
 * refused connection per pause, not a storm.
 */
const RECONNECT_PAUSE_S = 0.2;

/**
 * Connections with TCP_NODELAY. A COPY ends with a small CopyDone message written after its data, and with
 * Nagle's algorithm (node:net's default) that write waited for the server's delayed ACK of the data: ~90 ms
 * per COPY whatever its size, so an ingest's COPY of 5,000 rows cost as much as the server's work on ~50,000.
 * Queries are one write each and never waited. postgres.js connects a socket it creates itself and offers no
 * option for this, so it gets one it did not create: connected here, to the hosts (or unix socket) it parsed,
 * in its order; it calls this again for every connection and reconnection, and times out the connect itself.
 */
function noDelaySocket(): (o: { host: string[]; port: number[]; path?: string | false }) => net.Socket {
  let next = 0;
  return (o) => {
    if (o.path) return net.connect({ path: o.path });
    const i = next++ % o.host.length;
    const host = o.host[i], port = o.port[i] ?? o.port[0];
    const socket = net.connect({ host, port, noDelay: true });
    // What postgres.js sets on its own sockets: TLS names the server after `host`.
    Object.assign(socket, { host, port });
    return socket;
  };
}

/** postgres.js' query object: a lazy promise that can be cancelled (its state is set once it was sent). */
interface PgQuery<T> extends Promise<T> {
  cancel(): Promise<void> | undefined;
  state?: unknown;
}

export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<Database> {
  const { default: postgres } = await import("postgres");
  const max = opts.max ?? 20;
  let inFlight = 0;
  const prepare = preparedTexts();
  const sql = postgres(url, {
    // Concurrent transactions share commit flushes; more than a handful of connections is what keeps them busy.
    max,
    // One connection attempt; the request's deadline (deadline.ts) bounds the whole wait.
    connect_timeout: opts.connectTimeoutSeconds ?? 4,
    backoff: () => RECONNECT_PAUSE_S,
    idle_timeout: 30,
    // Connections are renewed every few minutes, so none outlives a server restart it missed for long.
    max_lifetime: 5 * 60,
    onnotice: () => {},
    // A supported option its types do not declare.
    ...({ socket: noDelaySocket() } as Record<never, never>),
    // Dates as Date (default); int8/numeric as strings (default), matching PGlite's setup.
    // json/jsonb parameters as PGlite serialises them: a string is taken as JSON text
    // (postgres.js would encode it again and store a JSON string), anything else is stringified.
    types: {
      json: {
        to: 114,
        from: [114, 3802],
        serialize: (x: unknown) => typeof x === "string" ? x : JSON.stringify(x),
        parse: (x: string) => JSON.parse(x),
      },
    },
  });
  /**
   * `inTransaction`: a statement of an open transaction is cancelled on the server only once sent (the
   * transaction then rolls back); cancelling one still queued behind its connection would leave that
   * connection stuck. A lone query still waiting for a connection is taken out of the pool's queue, so it
   * never runs after its client was told 503 — unless the pool was saturated and postgres.js had already
   * pipelined it behind another statement: then it is cancelled when its turn comes, which may be too late
   * for a short one. Writes that must not happen after a 503 belong in a transaction.
   */
  // deno-lint-ignore no-explicit-any
  const wrap = (q: any, inTransaction: boolean): Transaction => ({
    async query<T>(text: string, params: unknown[] = [], opts: QueryOptions = {}) {
      const named = opts.prepare !== false && prepare(text, params);
      const query = q.unsafe(text, params as never[], { prepare: named }) as PgQuery<Iterable<T>>;
      inFlight++;
      try {
        const rows = await bounded(Promise.resolve(query), () => {
          if (!inTransaction || query.state) query.cancel()?.catch(() => {});
        });
        return [...rows];
      } finally {
        inFlight--;
      }
    },
    async exec(text: string) {
      await q.unsafe(text);
    },
    ...(inTransaction
      ? {
        // deno-lint-ignore no-explicit-any
        savepoint: <T>(fn: (tx: Transaction) => Promise<T>) => q.savepoint((s: any) => fn(wrap(s, true))) as Promise<T>,
        async copyIn(statement: string, data: AsyncIterable<string>) {
          const query = q.unsafe(statement) as PgQuery<unknown> & {
            writable(): Promise<NodeJS.WritableStream>;
            reject(e: unknown): void;
          };
          // An error the server reports once all rows are sent (a unique violation found at the last row, a
          // CHECK) reaches postgres.js after it let go of the stream, so the stream never finishes nor fails:
          // the COPY would wait forever. postgres.js still rejects the query with it, and that is heard here.
          const failed = Promise.withResolvers<never>();
          const reject = query.reject;
          query.reject = (e: unknown) => {
            reject(e);
            failed.reject(e);
          };
          failed.promise.catch(() => {});
          const sink = await bounded(Promise.race([query.writable(), failed.promise]), () =>
            query.cancel()?.catch(() => {}));
          const sent = pipeline(Readable.from(data), sink);
          sent.catch(() => {}); // after a failure reported above, the abandoned stream may still end in an error
          await bounded(Promise.race([sent, failed.promise]), () =>
            query.cancel()?.catch(() => {}));
        },
      }
      : {}),
  });
  const base = wrap(sql, false);
  await base.query("select 1");

  /**
   * A transaction inside a request is bounded by its deadline up to the moment it commits: until then a
   * late start or a slow statement rolls it back and the client gets 503. Once COMMIT is sent its outcome
   * is awaited, so a client is never told 503 for work that was committed.
   */
  function transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const left = remainingMs();
    if (left === null) return sql.begin((tx) => fn(wrap(tx, true))) as Promise<T>;
    if (left <= 0) return Promise.reject(new DatabaseDeadlineError());
    // A transaction holds a connection from BEGIN to COMMIT: all of it is the request's database time.
    let expired = false;
    let committing = false;
    const run = sql.begin(async (tx) => {
      if (expired) throw new DatabaseDeadlineError();
      const result = await fn(wrap(tx, true));
      if (expired) throw new DatabaseDeadlineError();
      committing = true;
      return result;
    }) as Promise<T>;
    return bounded(run, () => {
      expired = true;
    }, () => committing);
  }

  return {
    kind: "postgres",
    query: base.query,
    exec: base.exec,
    transaction,
    close: () => sql.end({ timeout: 5 }),
    pool: () => ({ max, inFlight }),
  };
}
