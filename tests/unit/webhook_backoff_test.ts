/** The webhook retry schedule and the 5-day disable rule. */
import assert from "node:assert/strict";
import {
  mailRetryAt,
  shouldDisable,
  WEBHOOK_DISABLE_AFTER_MS,
  webhookRetryAt,
} from "../../services/notifications/backoff.ts";

Deno.test("webhook backoff: about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then give up", () => {
  const expected = [5, 300, 1800, 7200, 18000, 36000, 36000].map((s) => s * 1000);
  expected.forEach((ms, i) => assert.equal(webhookRetryAt(i + 1, 0, 0.5), ms));
  assert.equal(webhookRetryAt(8, 0), null);
  // Jitter stays within ±10 %.
  assert.equal(webhookRetryAt(1, 0, 0), 4500);
  assert.ok(webhookRetryAt(1, 0, 0.999)! <= 5500);
});

Deno.test("webhook backoff: disabled after failing for 5 days, not before", () => {
  assert.equal(shouldDisable(null, 1e12), false);
  assert.equal(shouldDisable(0, WEBHOOK_DISABLE_AFTER_MS - 1), false);
  assert.equal(shouldDisable(0, WEBHOOK_DISABLE_AFTER_MS), true);
});

Deno.test("mail backoff: doubles to an hour and gives up after two days", () => {
  assert.equal(mailRetryAt(1, 0, 0), 10_000);
  assert.equal(mailRetryAt(2, 0, 0), 20_000);
  assert.equal(mailRetryAt(30, 0, 0), 3_600_000);
  assert.equal(mailRetryAt(3, 2 * 86_400_000, 0), null);
});
