/**
 * The client's address for rate limits and audit. X-Forwarded-For is believed
 * only when the direct peer is a configured proxy, and then only up to the
 * first hop that is not one, so a client cannot pick its own address.
 */
export function clientIp(remote: string | undefined, forwardedFor: string | null, trusted: string[]): string {
  const peer = normalise(remote ?? "unknown");
  if (!forwardedFor || !trusted.length || !isTrusted(peer, trusted)) return peer;
  const hops = forwardedFor.split(",").map((h) => normalise(h.trim())).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isTrusted(hops[i], trusted)) return hops[i];
  }
  return hops[0] ?? peer;
}

function normalise(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

export function isTrusted(ip: string, trusted: string[]): boolean {
  return trusted.some((entry) => inRange(ip, entry));
}

function inRange(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const a = toBits(ip);
  const b = toBits(base);
  if (!a || !b || a.length !== b.length) return false;
  const bits = bitsText === undefined ? a.length : Number(bitsText);
  return a.slice(0, bits) === b.slice(0, bits);
}

/** An address as a string of 32 or 128 bits; null when it is not an address. */
function toBits(ip: string): string | null {
  if (ip.includes(".") && !ip.includes(":")) {
    const parts = ip.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
    return parts.map((p) => p.toString(2).padStart(8, "0")).join("");
  }
  if (!ip.includes(":")) return null;
  const [head, tail = ""] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = ip.includes("::") && tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  return groups.map((g) => parseInt(g, 16).toString(2).padStart(16, "0")).join("");
}
