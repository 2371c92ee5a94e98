/**
 * Feature flags, pure: which organization gets a flag. An override for the organization decides;
 * else, with a rollout percentage, the organization's bucket (a hash of its id and the flag's key,
 * 0-99) does — the same organization always lands in the same bucket, so raising the percentage only
 * adds organizations; else the flag's default.
 */
export const FLAG_KEYS = ["analytics", "forecasts", "strategies", "virtual_bids"] as const;
export type FlagKey = typeof FLAG_KEYS[number];

export interface Flag {
  key: string;
  description: string;
  enabled: boolean;
  rollout_percent: number | null;
  /** org id → on/off */
  overrides: ReadonlyMap<string, boolean>;
}

/** FNV-1a (32 bit) of `orgId:key`, 0-99: stable across instances, restarts and versions. */
export function rolloutBucket(orgId: string, key: string): number {
  let h = 0x811c9dc5;
  const s = `${orgId.toLowerCase()}:${key}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % 100;
}

export type FlagSource = "override" | "rollout" | "default";

export function evaluateFlag(flag: Flag, orgId: string): { enabled: boolean; source: FlagSource } {
  const o = flag.overrides.get(orgId);
  if (o !== undefined) return { enabled: o, source: "override" };
  if (flag.rollout_percent !== null) {
    return { enabled: rolloutBucket(orgId, flag.key) < flag.rollout_percent, source: "rollout" };
  }
  return { enabled: flag.enabled, source: "default" };
}

/** Before the flags are read from the database (or when a flag row is missing): everything on, as migrated. */
export const FLAG_DEFAULT = true;

export function isFlagKey(v: string): v is FlagKey {
  return (FLAG_KEYS as readonly string[]).includes(v);
}
