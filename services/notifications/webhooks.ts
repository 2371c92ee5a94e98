/**
 * Webhook endpoints of an organization: made, listed, changed, removed, their secret rotated (the old one
 * keeps signing beside the new for 24 hours), their delivery log read and a message sent again. Every
 * change in one transaction with its audit entry; every query scoped by the caller's organization.
 */
import { z } from "zod";
import type { Database, Queryable } from "../../db/database.ts";
import { isoUtc } from "../../db/sql.ts";
import { audit, callerEntry } from "../auth/audit.ts";
import type { Caller } from "../bids/actions.ts";
import { invalid, notFound } from "../errors.ts";
import { decodeCursor, type Page, pageOf, type PageRequest } from "../pagination.ts";
import { checkWebhookUrl, SsrfError } from "./ssrf.ts";
import type { AttemptView, WebhookInput, WebhookPatch, WebhookView } from "./schemas.ts";

export const WEBHOOK_TOPIC = "webhook";
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** What a delivery outbox row carries: the message is fixed when the event is dispatched. */
export interface WebhookMessage {
  endpoint_id: string;
  org_id: string;
  message_id: string;
  type: string;
  /** The JSON body, exactly as signed. */
  body: string;
}

const COLUMNS = `id, url, description, event_types, enabled, disabled_reason,
  ${isoUtc("failing_since")} AS failing_since, ${isoUtc("previous_secret_until")} AS previous_secret_until,
  ${isoUtc("created_at")} AS created_at, ${isoUtc("updated_at")} AS updated_at`;

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function newSecret(): string {
  return `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
}

function checkedUrl(url: string, allowPrivate: boolean): string {
  try {
    return checkWebhookUrl(url, allowPrivate).href;
  } catch (e) {
    if (e instanceof SsrfError) {
      throw invalid(`url: ${e.message}`, {
        code: "webhook_url_refused",
        details: [{ path: "url", message: e.message }],
      });
    }
    throw e;
  }
}

const auditOf = (c: Caller, action: string, id: string, details: Record<string, unknown> = {}) =>
  callerEntry(c, "webhook_endpoint", action, id, details);

export async function getWebhook(q: Queryable, orgId: string, id: string): Promise<WebhookView> {
  const [row] = await q.query<WebhookView>(
    `SELECT ${COLUMNS} FROM webhook_endpoints WHERE org_id = $1 AND id = $2`,
    [orgId, id],
  );
  if (!row) throw notFound("Webhook endpoint not found", { code: "not_found" });
  return row;
}

export async function webhooksPage(q: Queryable, orgId: string, page: PageRequest): Promise<Page<WebhookView>> {
  const after = decodeCursor(page.cursor, [z.string(), z.uuid()]);
  const rows = await q.query<WebhookView & { ts: string }>(
    `SELECT ${COLUMNS}, created_at::text AS ts FROM webhook_endpoints
      WHERE org_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid))
      ORDER BY created_at, id LIMIT $4`,
    [orgId, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
  );
  const page_ = pageOf(rows, page.limit, (r) => [r.ts, r.id]);
  return { ...page_, items: page_.items.map(({ ts: _ts, ...w }) => w) };
}

export function createWebhook(
  db: Database,
  c: Caller,
  input: WebhookInput,
  allowPrivate: boolean,
): Promise<WebhookView & { secret: string }> {
  const url = checkedUrl(input.url, allowPrivate);
  const secret = newSecret();
  return db.transaction(async (tx) => {
    const [{ id }] = await tx.query<{ id: string }>(
      `INSERT INTO webhook_endpoints (org_id, url, description, event_types, secret, created_by)
       VALUES ($1, $2, $3, $4::text[], $5, $6) RETURNING id`,
      [c.principal.orgId, url, input.description ?? "", input.event_types, secret, c.principal.userId],
    );
    await audit(tx, auditOf(c, "webhook.created", id, { url, event_types: input.event_types }));
    return { ...(await getWebhook(tx, c.principal.orgId, id)), secret };
  });
}

export function updateWebhook(
  db: Database,
  c: Caller,
  id: string,
  patch: WebhookPatch,
  allowPrivate: boolean,
): Promise<WebhookView> {
  const url = patch.url === undefined ? null : checkedUrl(patch.url, allowPrivate);
  return db.transaction(async (tx) => {
    const before = await getWebhook(tx, c.principal.orgId, id);
    await tx.query(
      `UPDATE webhook_endpoints SET url = coalesce($3, url), event_types = coalesce($4::text[], event_types),
              description = coalesce($5, description),
              enabled = coalesce($6, enabled),
              disabled_reason = CASE WHEN $6 IS NULL THEN disabled_reason WHEN $6 THEN NULL ELSE 'disabled by a user' END,
              failing_since = CASE WHEN $6 THEN NULL ELSE failing_since END,
              updated_at = now()
        WHERE org_id = $1 AND id = $2`,
      [c.principal.orgId, id, url, patch.event_types ?? null, patch.description ?? null, patch.enabled ?? null],
    );
    const after = await getWebhook(tx, c.principal.orgId, id);
    await audit(tx, auditOf(c, "webhook.updated", id, { before, after }));
    return after;
  });
}

export function deleteWebhook(db: Database, c: Caller, id: string): Promise<void> {
  return db.transaction(async (tx) => {
    const before = await getWebhook(tx, c.principal.orgId, id);
    await tx.query(`DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2`, [c.principal.orgId, id]);
    await audit(tx, auditOf(c, "webhook.deleted", id, { url: before.url }));
  });
}

/** A new secret; the one it replaces still signs (as a second signature) for 24 hours. */
export function rotateSecret(db: Database, c: Caller, id: string): Promise<WebhookView & { secret: string }> {
  const secret = newSecret();
  return db.transaction(async (tx) => {
    await getWebhook(tx, c.principal.orgId, id);
    await tx.query(
      `UPDATE webhook_endpoints SET previous_secret = secret, secret = $3,
              previous_secret_until = now() + $4 * interval '1 millisecond', updated_at = now()
        WHERE org_id = $1 AND id = $2`,
      [c.principal.orgId, id, secret, ROTATION_OVERLAP_MS],
    );
    await audit(tx, auditOf(c, "webhook.secret_rotated", id));
    return { ...(await getWebhook(tx, c.principal.orgId, id)), secret };
  });
}

export async function attemptsPage(
  q: Queryable,
  orgId: string,
  endpointId: string,
  page: PageRequest,
): Promise<Page<AttemptView>> {
  await getWebhook(q, orgId, endpointId);
  const after = decodeCursor(page.cursor, [z.string().regex(/^\d+$/)]);
  const rows = await q.query<AttemptView>(
    `SELECT id::text AS id, message_id, event_type, attempt, status_code, duration_ms, ok, error, response_excerpt,
            ${isoUtc("at")} AS at
       FROM webhook_attempts WHERE org_id = $1 AND endpoint_id = $2 AND ($3::bigint IS NULL OR id < $3::bigint)
      ORDER BY webhook_attempts.id DESC LIMIT $4`,
    [orgId, endpointId, after?.[0] ?? null, page.limit + 1],
  );
  return pageOf(rows, page.limit, (r) => [r.id]);
}

/**
 * Sends a logged message again, now, with the same webhook-id (receivers deduplicate by it), to an
 * endpoint that is enabled. Returns the new delivery's outbox id.
 */
export function redeliver(db: Database, c: Caller, endpointId: string, messageId: string): Promise<{ queued: true }> {
  return db.transaction(async (tx) => {
    const endpoint = await getWebhook(tx, c.principal.orgId, endpointId);
    if (!endpoint.enabled) {
      throw invalid("The endpoint is disabled: enable it first", { code: "endpoint_disabled" });
    }
    const [msg] = await tx.query<{ payload: WebhookMessage }>(
      `SELECT payload FROM outbox WHERE topic = $1 AND key = $2 AND payload->>'message_id' = $3
          AND payload->>'org_id' = $4 ORDER BY id DESC LIMIT 1`,
      [WEBHOOK_TOPIC, endpointId, messageId, c.principal.orgId],
    );
    if (!msg) throw notFound("No such message for this endpoint", { code: "not_found" });
    await tx.query(`INSERT INTO outbox (topic, key, payload) VALUES ($1, $2, $3::jsonb)`, [
      WEBHOOK_TOPIC,
      endpointId,
      JSON.stringify({ ...msg.payload, manual: true }),
    ]);
    await audit(tx, auditOf(c, "webhook.redelivered", endpointId, { message_id: messageId }));
    return { queued: true as const };
  });
}
