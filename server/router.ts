/**
 * Hono's own router (SmartRouter: the RegExpRouter, or the TrieRouter when a route is beyond it), with its
 * answers remembered per method and path. The routes are fixed once the app is built, so a path always
 * matches the same handlers with the same parameters; the TrieRouter's walk of the file routes cost about
 * 4 % of a cached page's time, a Map lookup a fraction of that. Hono only reads a match (handlers, their
 * parameters), so one answer serves every request of its path.
 *
 * Paths and methods are the client's to choose: only paths up to MEMO_PATH_MAX characters, of the usual
 * methods, are remembered (a page's or an API resource's path is far shorter; others cost their match, as
 * before), and at MEMO_MAX paths the oldest goes, so the memo holds at most MEMO_MAX × MEMO_PATH_MAX
 * characters of paths, whatever is sent.
 */
import type { Result, Router } from "hono/router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";

export const MEMO_MAX = 2048;
export const MEMO_PATH_MAX = 200;
/** Methods whose matches are remembered: a client may send any token as a method, of any length. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export class RememberingRouter<T> implements Router<T> {
  readonly name = "RememberingRouter";
  #inner: Router<T> = new SmartRouter<T>({ routers: [new RegExpRouter(), new TrieRouter()] });
  #memo = new Map<string, Result<T>>();

  add(method: string, path: string, handler: T): void {
    this.#memo.clear();
    this.#inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    if (path.length > MEMO_PATH_MAX || !METHODS.has(method)) return this.#inner.match(method, path);
    const key = method + " " + path;
    let found = this.#memo.get(key);
    if (found === undefined) {
      found = this.#inner.match(method, path);
      // The oldest first (a Map keeps insertion order): paths of one-off ids go, the pages' come back at once.
      if (this.#memo.size >= MEMO_MAX) this.#memo.delete(this.#memo.keys().next().value!);
      this.#memo.set(key, found);
    }
    return found;
  }

  /** Paths remembered now (tests). */
  get remembered(): number {
    return this.#memo.size;
  }
}
