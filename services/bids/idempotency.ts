/**
 * Idempotency keys: a retried request with the same key gets the first answer and changes nothing. The
 * answer is stored in the same transaction as the change it reports, so "committed" and "remembered" are
 * one fact: a client that lost the answer to a commit can retry safely. Only successes are remembered; a
 * refused request may be corrected and sent again.
 *
 * The answer is stored as the JSON text that was sent (a text column, db/migrations/007): a replay
 * returns the same bytes, not a re-serialisation with its keys reordered as jsonb would.
 */
import type { Database, Transaction } from "../../db/database.ts";
import { sha256Hex } from "../crypto/sha256.ts";
import { DomainError } from "../errors.ts";

/** The request a key stands for: the same key with another request is refused. */
export interface KeyedRequest {
  key: string;
  method: string;
  path: string;
  body: unknown;
}

/** What an idempotent operation gives back: its value and the exact JSON of it to send (or replay). */
export interface Outcome<T> {
  value: T;
  json: string;
  replayed: boolean;
}

/** The shape a key must have: visible ASCII, bounded. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export function isIdempotencyKey(key: string): boolean {
  return IDEMPOTENCY_KEY.test(key);
}

/**
 * Runs `run` in a transaction once per key (or simply in a transaction without one). An operation whose
 * only write is one statement may ask to skip the transaction when there is no key (two round trips
 * fewer).
 */
export async function once<T>(
  db: Database,
  orgId: string,
  req: KeyedRequest | null,
  run: (tx: Transaction) => Promise<T>,
): Promise<Outcome<T>> {
  if (!req) {
    const value = await db.transaction(run);
    return { value, json: JSON.stringify(value ?? null), replayed: false };
  }
  if (!isIdempotencyKey(req.key)) {
    throw new DomainError("invalid", "Idempotency-Key must be 1–200 visible ASCII characters", {
      code: "invalid_idempotency_key",
    });
  }
  const hash = await sha256Hex(`${req.method} ${req.path}\n${JSON.stringify(req.body ?? null)}`);
  const earlier = await stored<T>(db, orgId, req.key, hash);
  if (earlier) return earlier;
  try {
    return await db.transaction(async (tx) => {
      const value = await run(tx);
      const json = JSON.stringify(value ?? null);
      await tx.query(
        `INSERT INTO idempotency_keys (org_id, key, method, path, request_hash, response)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [orgId, req.key, req.method, req.path, hash, json],
      );
      return { value, json, replayed: false };
    });
  } catch (e) {
    // The same key committed by a concurrent request: its answer is the answer.
    if ((e as { code?: string })?.code === "23505") {
      const other = await stored<T>(db, orgId, req.key, hash);
      if (other) return other;
    }
    throw e;
  }
}

async function stored<T>(db: Database, orgId: string, key: string, hash: string): Promise<Outcome<T> | null> {
  const [row] = await db.query<{ request_hash: string; response: string }>(
    `SELECT request_hash, response FROM idempotency_keys WHERE org_id = $1 AND key = $2`,
    [orgId, key],
  );
  if (!row) return null;
  if (row.request_hash !== hash) {
    throw new DomainError("unprocessable", "This Idempotency-Key was used for a different request", {
      code: "idempotency_key_reused",
    });
  }
  return { value: JSON.parse(row.response) as T, json: row.response, replayed: true };
}
