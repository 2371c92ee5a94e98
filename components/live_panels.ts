/**
 * Server-rendered panels kept current without a reload: when a bid outcome arrives, the page is read again
 * and each panel marked `data-live-panel` takes the new markup of its namesake. The panels hold no island
 * (the gate countdowns are not one of them), so swapping their HTML loses no state. Browser-only.
 */

/** Marks a page read for its live panels: the server then renders fresh readings, not its last ones. */
export const LIVE_PANELS_HEADER = "x-live-panels";

/** Reads `path` again and swaps in the live panels; false when the page could not be read. */
export async function refreshLivePanels(path = location.pathname + location.search): Promise<boolean> {
  const res = await fetch(path, {
    headers: { accept: "text/html", [LIVE_PANELS_HEADER]: "1" },
    credentials: "same-origin",
  });
  if (!res.ok) return false;
  const fresh = new DOMParser().parseFromString(await res.text(), "text/html");
  for (const el of document.querySelectorAll<HTMLElement>("[data-live-panel]")) {
    const next = fresh.querySelector(`[data-live-panel="${el.dataset.livePanel}"]`);
    if (next && next.innerHTML !== el.innerHTML) el.innerHTML = next.innerHTML;
  }
  return true;
}

/**
 * Calls `refreshLivePanels` once a burst of alerts is over. The page's reads are memoised for 2 s, so the
 * read waits that long after the last alert to see what the alert announced.
 */
export function panelRefresher(delayMs = 2_500): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(() => void refreshLivePanels().catch(() => {}), delayMs);
  };
}
