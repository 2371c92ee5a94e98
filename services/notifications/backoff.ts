/**
 * When failed deliveries are tried again. Pure: the relays pass their clock.
 *
 * Webhooks follow the Standard Webhooks schedule: after the first attempt fails, retries at about 5 s,
 * 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (±10 % jitter so a recovering receiver is not hit by every
 * message at once); after the last one the message is given up. An endpoint failing for 5 days straight
 * is disabled.
 */
export const WEBHOOK_RETRY_DELAYS_MS = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
] as const;

export const WEBHOOK_DISABLE_AFTER_MS = 5 * 24 * 3_600_000;

/**
 * After attempt number `attempt` (1 = the first) failed at `now`: when to try again, or null to give up.
 * `jitter` in [0, 1) (0.5: none).
 */
export function webhookRetryAt(attempt: number, now: number, jitter = 0.5): number | null {
  const delay = WEBHOOK_RETRY_DELAYS_MS[attempt - 1];
  if (delay === undefined) return null;
  return now + Math.round(delay * (0.9 + 0.2 * jitter));
}

/** Whether an endpoint failing since `failingSince` (epoch ms) has failed long enough to be disabled. */
export function shouldDisable(failingSince: number | null, now: number): boolean {
  return failingSince !== null && now - failingSince >= WEBHOOK_DISABLE_AFTER_MS;
}

/** Mail: 10 s doubling to an hour; given up after two days of a mail server that does not take it. */
export const MAIL_GIVE_UP_MS = 2 * 24 * 3_600_000;
export function mailRetryAt(attempt: number, now: number, firstQueuedAt: number): number | null {
  if (now - firstQueuedAt >= MAIL_GIVE_UP_MS) return null;
  return now + Math.min(3_600_000, 10_000 * 2 ** Math.min(attempt - 1, 20));
}
