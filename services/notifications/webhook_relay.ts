/**
 * Delivers webhook messages (outbox topic `webhook`, one row per endpoint and message) following the
 * Standard Webhooks specification: a POST of the JSON body with `webhook-id` (the same on every retry and
 * redelivery, for the receiver to deduplicate), `webhook-timestamp` and `webhook-signature` (one `v1,`
 * signature per valid secret: during a rotation's 24 hours, the new and the old). Any 2xx is success.
 *
 * The target is checked for SSRF before every attempt (the URL and every address its name resolves to
 * now) and redirects are not followed: a 3xx is a failed attempt, so a public URL cannot bounce the
 * request into the private network. A failed attempt is retried on the schedule in ./backoff.ts; an
 * endpoint failing for 5 days straight is disabled. Every attempt goes to the delivery log.
 */
import { Webhook } from "standardwebhooks";
import type { Database } from "../../db/database.ts";
import { log } from "../log/logger.ts";
import { shouldDisable, webhookRetryAt } from "./backoff.ts";
import { claimDue, type DueRow, finishRow, retryRow } from "./due_outbox.ts";
import { checkWebhookTarget, dnsResolver, type Resolver } from "./ssrf.ts";
import { WEBHOOK_TOPIC, type WebhookMessage } from "./webhooks.ts";

export interface WebhookRelayDeps {
  db: () => Database;
  allowPrivate: boolean;
  now?: () => number;
  resolve?: Resolver;
  /** Bound of one attempt (connect, answer, excerpt). */
  timeoutMs?: number;
  /** Jitter source, [0, 1). */
  random?: () => number;
}

const BATCH = 10;
const EXCERPT_CHARS = 1000;

interface EndpointRow {
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_valid: boolean;
  enabled: boolean;
  failing_since: number | null;
}

/** The `webhook-signature` header: the current secret's signature, and the previous one's while it is valid. */
export function signatureHeader(secrets: string[], id: string, at: Date, body: string): string {
  return secrets.map((s) => new Webhook(s).sign(id, at, body)).join(" ");
}

async function excerpt(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  try {
    while (out.length < EXCERPT_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      out += value;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return out.slice(0, EXCERPT_CHARS);
}

/** One attempt: the status (null when no answer), an excerpt, an error. Never throws. */
async function attempt(
  deps: WebhookRelayDeps,
  e: EndpointRow,
  msg: WebhookMessage,
  now: number,
): Promise<{ status: number | null; excerpt: string | null; error: string | null }> {
  try {
    const url = await checkWebhookTarget(e.url, deps.allowPrivate, deps.resolve ?? dnsResolver);
    const secrets = [e.secret, ...(e.previous_secret && e.previous_valid ? [e.previous_secret] : [])];
    const at = new Date(now);
    const res = await fetch(url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
      headers: {
        "content-type": "application/json",
        "user-agent": "OptiBid-Webhooks/1",
        "webhook-id": msg.message_id,
        "webhook-timestamp": String(Math.floor(now / 1000)),
        "webhook-signature": signatureHeader(secrets, msg.message_id, at, msg.body),
      },
      body: msg.body,
    });
    const text = await excerpt(res);
    if (res.status >= 300 && res.status < 400) {
      return { status: res.status, excerpt: text, error: "redirect not followed (the endpoint must answer itself)" };
    }
    return { status: res.status, excerpt: text, error: res.ok ? null : `HTTP ${res.status}` };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { status: null, excerpt: null, error: message };
  }
}

async function deliverRow(deps: WebhookRelayDeps, row: DueRow<WebhookMessage>): Promise<void> {
  const db = deps.db();
  const now = (deps.now ?? Date.now)();
  const msg = row.payload;
  const [e] = await db.query<EndpointRow>(
    `SELECT url, secret, previous_secret, coalesce(previous_secret_until > to_timestamp($3::double precision / 1000),
            false) AS previous_valid, enabled, (extract(epoch FROM failing_since) * 1000)::float8 AS failing_since
       FROM webhook_endpoints WHERE id = $1 AND org_id = $2`,
    [msg.endpoint_id, msg.org_id, now],
  );
  if (!e) return await finishRow(db, row.id, now, "endpoint deleted");
  if (!e.enabled) return await finishRow(db, row.id, now, "endpoint disabled");
  const n = row.attempts + 1;
  const started = performance.now();
  const out = await attempt(deps, e, msg, now);
  const duration = Math.round(performance.now() - started);
  const ok = out.error === null;
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO webhook_attempts (org_id, endpoint_id, message_id, event_type, outbox_id, attempt, status_code,
                                     duration_ms, ok, error, response_excerpt, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, to_timestamp($12::double precision / 1000))`,
      [
        msg.org_id,
        msg.endpoint_id,
        msg.message_id,
        msg.type,
        row.id,
        n,
        out.status,
        duration,
        ok,
        out.error?.slice(0, 500) ?? null,
        out.excerpt,
        now,
      ],
    );
    if (ok) {
      await tx.query(`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1`, [msg.endpoint_id]);
      return await finishRow(tx, row.id, now);
    }
    const failingSince = e.failing_since ?? now;
    await tx.query(
      `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, to_timestamp($2::double precision / 1000))
        WHERE id = $1`,
      [msg.endpoint_id, now],
    );
    if (shouldDisable(failingSince, now)) {
      await tx.query(
        `UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'failing for 5 days', updated_at = now()
          WHERE id = $1`,
        [msg.endpoint_id],
      );
      log.warn("webhook endpoint disabled after failing for 5 days", { endpoint: msg.endpoint_id });
      return await finishRow(tx, row.id, now, `endpoint disabled: ${out.error}`);
    }
    const retryAt = webhookRetryAt(n, now, (deps.random ?? Math.random)());
    if (retryAt === null) return await finishRow(tx, row.id, now, `gave up: ${out.error}`);
    await retryRow(tx, row.id, retryAt, out.error ?? "failed");
  });
}

/** One pass: claims due deliveries and sends them concurrently; returns how many it handled. */
export async function deliverWebhooksOnce(deps: WebhookRelayDeps): Promise<number> {
  const now = (deps.now ?? Date.now)();
  const rows = await claimDue<WebhookMessage>(deps.db(), WEBHOOK_TOPIC, {
    now,
    // Longer than an attempt can take, so no other instance picks the row up meanwhile.
    leaseMs: (deps.timeoutMs ?? 10_000) * 3,
    limit: BATCH,
  });
  await Promise.all(
    rows.map((r) =>
      deliverRow(deps, r).catch((e) =>
        log.warn("webhook delivery bookkeeping failed; the row is due again after its lease", {
          outbox_id: r.id,
          error: e instanceof Error ? e.message : String(e),
        })
      )
    ),
  );
  return rows.length;
}
