/**
 * Quotas, pure: the limits an organization has (its own where set, else the platform's defaults),
 * the windows rates are counted in, and what a refusal says.
 */
export const QUOTA_KEYS = [
  "api_requests_per_minute",
  "api_requests_per_day",
  "bids_per_day",
  "assets",
  "api_keys",
  "ws_connections",
] as const;
export type QuotaKey = typeof QUOTA_KEYS[number];
export type Quotas = Record<QuotaKey, number>;
/** An organization's own settings: null = the default. */
export type QuotaOverrides = Record<QuotaKey, number | null>;

/** Generous on purpose: a quota is a guard against a runaway script, not a price plan. */
export const DEFAULT_QUOTAS: Quotas = {
  api_requests_per_minute: 6_000,
  api_requests_per_day: 2_000_000,
  bids_per_day: 50_000,
  assets: 1_000,
  api_keys: 100,
  ws_connections: 200,
};

export const QUOTA_LABELS: Record<QuotaKey, string> = {
  api_requests_per_minute: "API requests per minute",
  api_requests_per_day: "API requests per day",
  bids_per_day: "bids per day",
  assets: "assets",
  api_keys: "API keys",
  ws_connections: "WebSocket connections",
};

export function effectiveQuotas(own: Partial<QuotaOverrides> | null | undefined): Quotas {
  const out = { ...DEFAULT_QUOTAS };
  if (!own) return out;
  for (const k of QUOTA_KEYS) {
    const v = own[k];
    if (typeof v === "number") out[k] = v;
  }
  return out;
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** Windows are fixed and aligned to UTC (minute, day), so every instance counts into the same one. */
export function windowOf(now: number, sizeMs: number): number {
  return Math.floor(now / sizeMs);
}

/** Seconds until the window holding `now` ends (Retry-After), at least 1. */
export function secondsLeft(now: number, sizeMs: number): number {
  return Math.max(1, Math.ceil(((windowOf(now, sizeMs) + 1) * sizeMs - now) / 1000));
}

/** The UTC day of an instant, "2026-12-03": the key of a usage row. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
