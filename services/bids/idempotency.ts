/**
 * `Idempotency-Key`: a retried request with the same key gets the first
 * response and changes nothing. The response is stored in the same transaction
 * as the change it reports, so "committed" and "remembered" are one fact: a
 * client that lost the answer to a commit can retry safely. Only successes are
 * remembered; a refused request (4xx) may be corrected and sent again.
 */
import { HttpError } from "../../framework/http_error.ts";
import type { Database, Transaction } from "../../db/database.ts";
import { sha256Hex } from "../crypto/sha256.ts";

export interface StoredResult {
  status: number;
  body: unknown;
}

const KEY = /^[\x21-\x7e]{1,200}$/;

export function idempotencyKeyOf(req: Request): string | null {
  const key = req.headers.get("idempotency-key");
  if (key === null) return null;
  if (!KEY.test(key)) {
    throw new HttpError(400, "Idempotency-Key must be 1–200 visible ASCII characters", {
      code: "invalid_idempotency_key",
    });
  }
  return key;
}

export async function idempotent(
  db: Database,
  req: { orgId: string; key: string | null; method: string; path: string; body: unknown },
  run: (tx: Transaction) => Promise<StoredResult>,
  opts: { atomicWithoutTransaction?: boolean } = {},
): Promise<StoredResult & { replayed: boolean }> {
  if (!req.key) {
    // An operation whose only write is one statement is atomic as it is; a transaction would add two round trips.
    const result = opts.atomicWithoutTransaction ? await run(db as unknown as Transaction) : await db.transaction(run);
    return { ...result, replayed: false };
  }
  const hash = await sha256Hex(`${req.method} ${req.path}\n${JSON.stringify(req.body ?? null)}`);
  const earlier = await stored(db, req.orgId, req.key, hash);
  if (earlier) return { ...earlier, replayed: true };
  try {
    const result = await db.transaction(async (tx) => {
      const r = await run(tx);
      await tx.query(
        `INSERT INTO idempotency_keys (org_id, key, method, path, request_hash, status, response)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
        [req.orgId, req.key, req.method, req.path, hash, r.status, JSON.stringify(r.body ?? null)],
      );
      return r;
    });
    return { ...result, replayed: false };
  } catch (e) {
    // The same key committed by a concurrent request: its answer is the answer.
    if ((e as { code?: string })?.code === "23505") {
      const other = await stored(db, req.orgId, req.key, hash);
      if (other) return { ...other, replayed: true };
    }
    throw e;
  }
}

async function stored(db: Database, orgId: string, key: string, hash: string): Promise<StoredResult | null> {
  const [row] = await db.query<{ request_hash: string; status: number; response: unknown }>(
    `SELECT request_hash, status, response FROM idempotency_keys WHERE org_id = $1 AND key = $2`,
    [orgId, key],
  );
  if (!row) return null;
  if (row.request_hash !== hash) {
    throw new HttpError(422, "This Idempotency-Key was used for a different request", {
      code: "idempotency_key_reused",
    });
  }
  return { status: row.status, body: row.response };
}
