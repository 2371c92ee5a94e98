/** "1d 02:03:04", "02:03:04", or "closed" once the time is up. Pure; shared by the server and the island. */
export function countdownText(ms: number): string {
  if (!(ms > 0)) return "closed";
  const s = Math.ceil(ms / 1000);
  const days = Math.floor(s / 86_400);
  const pad = (n: number) => String(n).padStart(2, "0");
  const clock = `${pad(Math.floor((s % 86_400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return days ? `${days}d ${clock}` : clock;
}
