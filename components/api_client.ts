/**
 * How islands call the app's own API, browser-safe. An access token lives ACCESS_TOKEN_TTL_S (15 minutes
 * by default) while the session lives on in the refresh cookie, so a page left open must renew it: a call
 * answered 401 renews the session (POST /api/auth/refresh with the cookie) and is sent again. All
 * islands of a page share one renewal at a time: the refresh token rotates, so two renewals with the same
 * cookie would look like a stolen token.
 *
 * When the session itself has ended (the renewal is refused: signed out elsewhere, revoked, expired), the
 * call's 401 is returned as it came and `sessionEnded` turns true: the page shows a sign-in prompt
 * (SessionPrompt.tsx) and islands keep what was typed, so the action can be retried after signing in.
 * Any later successful call (the user signed in again, in another tab) clears it.
 */
import { signal } from "@preact/signals";

export const REFRESH_URL = "/api/auth/refresh";

/** True once a renewal was refused; false again after any call succeeds. */
export const sessionEnded = signal(false);

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

let transport: Fetch = (input, init) => fetch(input, init);
let renewal: Promise<boolean> | null = null;
/** Counts renewals that succeeded: a 401 to a request sent before the latest one needs no renewal of its own. */
let generation = 0;

/** The browser's fetch in pages; tests pass their own. Resets the module's state. */
export function setTransport(f: Fetch): void {
  transport = f;
  renewal = null;
  generation = 0;
  sessionEnded.value = false;
}

/**
 * Renews the cookie session, sharing one request between every caller until it settles. False when the
 * session is over (a 401 from the refresh); a network failure or 5xx is not a verdict on the session,
 * so it also answers false but leaves `sessionEnded` alone.
 */
export function renewSession(): Promise<boolean> {
  renewal ??= (async () => {
    try {
      const res = await oneTabAtATime(() =>
        transport(REFRESH_URL, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: "{}",
          credentials: "same-origin",
        })
      );
      await res.body?.cancel();
      if (res.ok) {
        generation++;
        sessionEnded.value = false;
        return true;
      }
      if (res.status === 401) sessionEnded.value = true;
      return false;
    } catch {
      return false;
    } finally {
      renewal = null;
    }
  })();
  return renewal;
}

/**
 * The tabs of a browser share its cookies: a renewal started in one while another tab's is in flight would
 * present the refresh token the other has just spent, which the server takes for a stolen token. Web Locks
 * make them take turns; the later one then sends the cookie the earlier one set.
 */
function oneTabAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  return locks ? locks.request("optibid-session-renewal", fn) : fn();
}

/**
 * Renewals one call may ask for. A renewed token can expire again before its retry is served (a short
 * ACCESS_TOKEN_TTL_S on a busy server): that is not the session's end, so the call renews once more.
 */
const MAX_RENEWALS = 2;

/** `fetch` for the app's API: same-origin credentials, and a 401 renews the session and sends the call again. */
export async function apiFetch(input: string, init: RequestInit = {}): Promise<Response> {
  const sent = { credentials: "same-origin" as const, ...init };
  for (let renewals = 0;; renewals++) {
    const before = generation;
    const res = await transport(input, sent);
    if (res.status !== 401) {
      if (res.ok) sessionEnded.value = false;
      return res;
    }
    if (init.signal?.aborted) return res;
    if (renewals === MAX_RENEWALS) {
      // Renewed and still refused, again and again: the session is not usable from this page.
      sessionEnded.value = true;
      return res;
    }
    // Another caller's renewal finished while this request was out: it only needs sending again.
    const renewed = generation !== before || await renewSession();
    if (!renewed) return res;
    await res.body?.cancel();
  }
}

/** What to tell the reader when a call failed with this status (the prompt says how to sign in again). */
export function failureText(status: number): string {
  return status === 401 ? "your session has ended" : `the server answered ${status}`;
}

/** GET JSON through apiFetch; null for any answer that is not a 2xx (the caller keeps what it shows). */
export async function getJson<T>(url: string, init: RequestInit = {}): Promise<T | null> {
  const res = await apiFetch(url, { ...init, headers: { accept: "application/json", ...init.headers } });
  if (!res.ok) {
    await res.body?.cancel();
    return null;
  }
  return await res.json() as T;
}

/**
 * For a connection refused before it opened (a WebSocket cannot show the upgrade's 401): is the session
 * still good — renewed if it had to be ("ok") — over ("ended"), or unknown (server unreachable)?
 */
export async function checkSession(): Promise<"ok" | "ended" | "unknown"> {
  try {
    const res = await apiFetch("/api/auth/me", { headers: { accept: "application/json" } });
    await res.body?.cancel();
    return res.ok ? "ok" : res.status === 401 ? "ended" : "unknown";
  } catch {
    return "unknown";
  }
}
