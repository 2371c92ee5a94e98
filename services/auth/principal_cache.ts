/**
 * Resolved principals kept for a few seconds, so an authenticated request does
 * not pay a database round trip for who it is (on PGlite that round trip, not
 * the token check, bounds authenticated requests/s).
 *
 * Any change to sessions, memberships, roles, user status or API keys in this
 * process bumps the epoch, which empties the cache; a lookup that started
 * before a bump is not stored, so a read racing a change cannot cache the old
 * state. Another instance's change is seen within the TTL.
 */
import type { Principal } from "./principal.ts";

export class PrincipalCache {
  #entries = new Map<string, { principal: Principal; until: number }>();
  #epoch = 0;

  constructor(readonly ttlMs = 5_000, readonly maxEntries = 10_000) {}

  epoch(): number {
    return this.#epoch;
  }

  get(key: string, now = Date.now()): Principal | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.until <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.principal;
  }

  /** Stores only when nothing changed since `startedAt` (the epoch when the lookup began). */
  set(key: string, principal: Principal, startedAt: number, now = Date.now()): void {
    if (startedAt !== this.#epoch || this.ttlMs <= 0) return;
    if (this.#entries.size >= this.maxEntries) this.#entries.clear();
    this.#entries.set(key, { principal, until: now + this.ttlMs });
  }

  /** Something that decides who may do what changed: forget everything. */
  bump(): void {
    this.#epoch++;
    this.#entries.clear();
  }
}
