// Fills the login and register forms' hidden time_zone field with the browser's zone, so a user who never
// chose one in /settings sees pages on their own clock rather than UTC. A file, not inline: the CSP allows
// scripts from this site only. Without JavaScript the field stays empty and the server ignores it.
(() => {
  const fill = () => {
    let zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone ?? "";
    } catch {
      return;
    }
    if (!zone) return;
    for (const field of document.querySelectorAll('input[name="time_zone"][data-browser-zone]')) field.value = zone;
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fill);
  else fill();
})();
