/**
 * What the auth layer knows about a caller (the principal, the profile), kept in memory so that an
 * authenticated request does not pay a database round trip for it: on PGlite that round trip, not the token
 * check, bounds authenticated requests/s.
 *
 * Invalidation is by epoch. Any change to sessions, memberships, roles, user status, profiles or API keys
 * bumps it: in this process at once (the service that committed the change calls `bump`), on every other
 * instance through the admin signal (services/admin/signal.ts, topic "auth", within about 250 ms). A bump
 * empties the cache, and a lookup that started before a bump is not stored, so a read racing a change
 * cannot cache the old state. The TTL is only the safety net for a signal that was lost.
 */
import type { Principal } from "./principal.ts";

/** How long an entry lives without any signal: as long as the admin settings' periodic reload. */
export const AUTH_CACHE_TTL_MS = 30_000;

export class EpochCache<V> {
  #entries = new Map<string, { value: V; until: number }>();
  #epoch = 0;
  #flights = new Map<string, { epoch: number; result: Promise<unknown> }>();

  constructor(readonly ttlMs = AUTH_CACHE_TTL_MS, readonly maxEntries = 10_000) {}

  epoch(): number {
    return this.#epoch;
  }

  get(key: string, now = Date.now()): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.until <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /**
   * Stores only when nothing changed since `startedAt` (the epoch when the lookup began); `notAfter` (ms
   * since the epoch) ends the entry earlier than the TTL, e.g. when the session it vouches for expires.
   */
  set(key: string, value: V, startedAt: number, now = Date.now(), notAfter = Infinity): void {
    if (startedAt !== this.#epoch || this.ttlMs <= 0) return;
    const until = Math.min(now + this.ttlMs, notAfter);
    if (until <= now) return;
    if (this.#entries.size >= this.maxEntries) this.#entries.clear();
    this.#entries.set(key, { value, until });
  }

  /**
   * The cached value, else `load`'s. When an entry expires or a bump empties the cache, every request in
   * flight for the key misses at once: one load answers them all instead of a burst of identical queries
   * queueing for the pool. `load` says what to keep (`keep: false` for an answer not to remember, such as
   * a refusal) and until when.
   */
  async through<R>(
    key: string,
    load: () => Promise<{ result: R; value?: V; notAfter?: number }>,
    hit: (value: V) => R,
  ): Promise<R> {
    const cached = this.get(key);
    if (cached !== undefined) return hit(cached);
    const startedAt = this.#epoch;
    const flight = this.#flights.get(key);
    if (flight && flight.epoch === startedAt) return await (flight.result as Promise<R>);
    const result = load().then((r) => {
      if (r.value !== undefined) this.set(key, r.value, startedAt, Date.now(), r.notAfter);
      return r.result;
    });
    this.#flights.set(key, { epoch: startedAt, result });
    try {
      return await result;
    } finally {
      if (this.#flights.get(key)?.result === result) this.#flights.delete(key);
    }
  }

  /** Something that decides who may do what, or what a profile says, changed: forget everything. */
  bump(): void {
    this.#epoch++;
    this.#entries.clear();
  }
}

export class PrincipalCache extends EpochCache<Principal> {}
