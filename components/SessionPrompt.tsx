/**
 * The sign-in prompt of a page whose session has ended (components/api_client.ts). It opens the login
 * page in a new tab, so nothing on this page is lost, and checks the session again when the user comes
 * back (or presses Continue); then it goes away and the user retries what failed. One per page: islands
 * call `mountSessionPrompt()`, which renders it once at the top of <body>.
 */
import { render } from "preact";
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { checkSession, sessionEnded } from "./api_client.ts";

export function SessionPrompt() {
  const checking = useSignal(false);
  const stillOut = useSignal(false);

  async function recheck() {
    if (checking.peek()) return;
    checking.value = true;
    const r = await checkSession();
    checking.value = false;
    stillOut.value = r !== "ok";
  }

  useEffect(() => {
    // Back from the login tab: the cookies are the new session's.
    const onFocus = () => {
      if (sessionEnded.peek()) void recheck();
    };
    globalThis.addEventListener("focus", onFocus);
    return () => globalThis.removeEventListener("focus", onFocus);
  }, []);

  if (!sessionEnded.value) return null;
  const here = location.pathname + location.search;
  return (
    <div class="fixed inset-x-0 top-0 z-40 flex justify-center px-3 pt-3 sm:pt-4">
      <div
        role="alertdialog"
        aria-labelledby="session-prompt-title"
        aria-describedby="session-prompt-text"
        data-testid="session-prompt"
        class="w-full max-w-xl rounded-lg bg-white px-4 py-4 shadow-xl ring-1 ring-amber-300 sm:px-5"
      >
        <p id="session-prompt-title" class="text-sm font-semibold text-slate-900">Your session has ended</p>
        <p id="session-prompt-text" class="mt-1 text-sm text-slate-600">
          Sign in again to keep working. Nothing on this page is lost: what you typed stays here, and you can retry once
          you are signed in.
        </p>
        {stillOut.value && (
          <p class="mt-2 text-sm text-red-700" data-testid="session-still-out">
            Still signed out: sign in in the other tab first.
          </p>
        )}
        <div class="mt-3 flex flex-col gap-2 sm:flex-row sm:items-center">
          <a
            href={`/login?next=${encodeURIComponent(here)}`}
            target="_blank"
            rel="noopener"
            data-testid="session-sign-in"
            class="inline-flex items-center justify-center rounded-md bg-brand-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-brand-700"
          >
            Sign in (opens a new tab)
          </a>
          <button
            type="button"
            onClick={() => void recheck()}
            disabled={checking.value}
            data-testid="session-continue"
            class="inline-flex items-center justify-center rounded-md bg-white px-4 py-2 text-sm font-semibold text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50 disabled:opacity-60"
          >
            {checking.value ? "Checking…" : "I have signed in: continue"}
          </button>
        </div>
      </div>
    </div>
  );
}

/** Renders the prompt once per page (it shows only while the session has ended). */
export function mountSessionPrompt(): void {
  if (typeof document === "undefined" || document.getElementById("session-prompt-root")) return;
  const el = document.createElement("div");
  el.id = "session-prompt-root";
  document.body.append(el);
  render(<SessionPrompt />, el);
}
