/**
 * A hidden `time_zone` field that static/browser-time-zone.js fills with the browser's zone, so a user who
 * never chose one in /settings sees pages on their own clock rather than UTC. Without JavaScript it stays
 * empty and is ignored.
 */
export function BrowserTimeZone() {
  return (
    <>
      <input type="hidden" name="time_zone" value="" data-browser-zone />
      <script src="/browser-time-zone.js" defer />
    </>
  );
}
