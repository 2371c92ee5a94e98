/**
 * Hono's own router (SmartRouter: the RegExpRouter, or the TrieRouter when a route is beyond it), with its
 * answers remembered per method and path. The routes are fixed once the app is built, so a path always
 * matches the same handlers with the same parameters; the TrieRouter's walk of the file routes cost about
 * 4 % of a cached page's time, a Map lookup a fraction of that. Hono only reads a match (handlers, their
 * parameters), so one answer serves every request of its path.
 *
 * Paths are the client's to choose: the memo is emptied when it holds MEMO_MAX paths, so it never grows
 * past that and a stream of distinct paths costs what matching did before, plus a Map insert.
 */
import type { Result, Router } from "hono/router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";

export const MEMO_MAX = 2048;

export class RememberingRouter<T> implements Router<T> {
  readonly name = "RememberingRouter";
  #inner: Router<T> = new SmartRouter<T>({ routers: [new RegExpRouter(), new TrieRouter()] });
  #memo = new Map<string, Result<T>>();

  add(method: string, path: string, handler: T): void {
    this.#memo.clear();
    this.#inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const key = method + " " + path;
    let found = this.#memo.get(key);
    if (found === undefined) {
      found = this.#inner.match(method, path);
      if (this.#memo.size >= MEMO_MAX) this.#memo.clear();
      this.#memo.set(key, found);
    }
    return found;
  }

  /** Paths remembered now (tests). */
  get remembered(): number {
    return this.#memo.size;
  }
}
