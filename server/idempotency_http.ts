/**
 * The `Idempotency-Key` header over HTTP: which request a key stands for, and the answer of an
 * idempotent operation, a replay being the stored bytes as they were first sent
 * (services/bids/idempotency.ts keeps them).
 */
import { HttpError } from "../framework/http_error.ts";
import type { ApiResult } from "../framework/api.ts";
import type { FreshContext } from "../framework/types.ts";
import { isIdempotencyKey, type KeyedRequest, type Outcome } from "../services/bids/idempotency.ts";
import type { State } from "../utils.ts";

/** The key of this request (its method, path and `body`), or null when the client sent none. */
export function keyedRequest(ctx: FreshContext<State>, body: unknown): KeyedRequest | null {
  const key = ctx.req.headers.get("idempotency-key");
  if (key === null) return null;
  if (!isIdempotencyKey(key)) {
    throw new HttpError(400, "Idempotency-Key must be 1–200 visible ASCII characters", {
      code: "invalid_idempotency_key",
    });
  }
  return { key, method: ctx.req.method, path: ctx.url.pathname, body };
}

/**
 * The answer of an outcome with the operation's success status. A first answer goes through the API
 * layer (its body checked against the declared schema), serialised by the same JSON.stringify that made
 * the stored text; a replay is that text, byte for byte.
 */
export function answer(out: Outcome<unknown>, status: number): ApiResult {
  if (!out.replayed) return { status, body: out.value };
  return new Response(status === 204 ? null : out.json, {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      "idempotent-replayed": "true",
    },
  });
}
