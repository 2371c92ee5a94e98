/**
 * The bid builder's calls to the bids API, browser-safe. A state-changing call carries an
 * `Idempotency-Key`: one UUID per attempt, sent again unchanged when the attempt is retried (after a
 * network failure or a 502/503/504, automatically a few times, then when the user presses the button
 * again with the same bid), so a retry can never create a second bid. A definitive answer (any other
 * status) ends the attempt; the next call gets a fresh key. Calls go through apiFetch, which renews an
 * expired session and sends the same request (same key) again.
 */
import { apiFetch } from "./api_client.ts";

export interface ApiAnswer {
  /** 0 when no answer arrived (network failure). */
  status: number;
  ok: boolean;
  body: unknown;
  /** Why no answer arrived. */
  networkError?: string;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

const RETRIABLE = new Set([502, 503, 504]);

export function isRetriable(a: ApiAnswer): boolean {
  return a.status === 0 || RETRIABLE.has(a.status);
}

/** Remembers the key of an attempt that got no definitive answer, for the same request only. */
export class AttemptKeys {
  #pending: { fingerprint: string; key: string } | null = null;
  constructor(private readonly newKey: () => string = () => crypto.randomUUID()) {}

  keyFor(fingerprint: string): string {
    if (this.#pending?.fingerprint !== fingerprint) this.#pending = { fingerprint, key: this.newKey() };
    return this.#pending.key;
  }

  /** The attempt got its answer: the next request is a new attempt. */
  settle(): void {
    this.#pending = null;
  }

  get pendingKey(): string | null {
    return this.#pending?.key ?? null;
  }
}

async function once(fetcher: FetchLike, url: string, init: RequestInit): Promise<ApiAnswer> {
  let res: Response;
  try {
    res = await fetcher(url, init);
  } catch (e) {
    return { status: 0, ok: false, body: null, networkError: e instanceof Error ? e.message : String(e) };
  }
  const text = await res.text().catch(() => "");
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: { message: text.slice(0, 200) } };
  }
  return { status: res.status, ok: res.ok, body };
}

export interface SendOptions {
  method: "POST" | "PUT" | "DELETE";
  body?: unknown;
  /** Send an Idempotency-Key from these keys (POST only: the API takes it on create, submit and withdraw). */
  keys?: AttemptKeys;
  fetch?: FetchLike;
  /** Automatic retries of a retriable failure, with the same key. */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
}

export async function send(url: string, opts: SendOptions): Promise<ApiAnswer> {
  const fetcher = opts.fetch ?? apiFetch;
  const sleep = opts.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { accept: "application/json" };
  if (payload !== undefined) headers["content-type"] = "application/json";
  if (opts.keys) headers["idempotency-key"] = opts.keys.keyFor(`${opts.method} ${url} ${payload ?? ""}`);
  const retries = opts.retries ?? 2;
  let answer: ApiAnswer = { status: 0, ok: false, body: null };
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt) await sleep(400 * 3 ** (attempt - 1));
    answer = await once(fetcher, url, { method: opts.method, headers, body: payload, credentials: "same-origin" });
    if (!isRetriable(answer)) {
      opts.keys?.settle();
      return answer;
    }
  }
  return answer;
}
