/**
 * Whether a webhook URL may be called: only public unicast addresses, checked on the URL's host as
 * written and on every address its name resolves to at delivery time (a name that pointed somewhere
 * harmless when the endpoint was saved may point at 169.254.169.254 now).
 *
 * The URL parser (WHATWG) already turns decimal, octal and hex IPv4 forms (`http://2130706433/`,
 * `http://0177.0.0.1/`, `http://0x7f.1/`) into dotted quads, and ipaddr.js classifies what is left:
 * anything but `unicast` (private, loopback, link-local, unique-local, CGNAT, multicast, unspecified,
 * reserved, documentation, 6to4/Teredo/NAT64 wrappers…) is refused, and an IPv4-mapped IPv6 address is
 * judged as the IPv4 address it carries. `allowPrivate` (WEBHOOK_ALLOW_PRIVATE) lets loopback and
 * private networks through, for tests and closed installations; link-local (cloud metadata) never is.
 */
import ipaddr from "ipaddr.js";

export class SsrfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SsrfError";
  }
}

const PRIVATE_OK = new Set(["loopback", "private", "uniqueLocal"]);

/** ipaddr.js's range names, as people say them. */
const RANGE_WORDS: Record<string, string> = {
  linkLocal: "link-local",
  uniqueLocal: "unique-local",
  carrierGradeNat: "carrier-grade NAT",
  ipv4Mapped: "IPv4-mapped",
  rfc6052: "NAT64",
  rfc6145: "IPv4-translated",
  "6to4": "6to4",
};

/** Why `address` may not be called, or null when it may. */
export function addressRefusal(address: string, allowPrivate: boolean): string | null {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address.replace(/^\[|\]$/g, ""));
  } catch {
    return `${address} is not an IP address`;
  }
  if (ip.kind() === "ipv6" && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  if (range === "unicast") return null;
  if (allowPrivate && PRIVATE_OK.has(range)) return null;
  return `${address} is a ${RANGE_WORDS[range] ?? range} address`;
}

/** The URL as it will be called, or an SsrfError: scheme, credentials and a literal address host. */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SsrfError("not a valid URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new SsrfError("must be an http:// or https:// URL");
  if (url.username || url.password) throw new SsrfError("must not carry credentials");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!host) throw new SsrfError("has no host");
  if (ipaddr.isValid(host)) {
    const why = addressRefusal(host, allowPrivate);
    if (why) throw new SsrfError(`refused: ${why}`);
  } else if (/^(localhost|.*\.localhost|.*\.local|.*\.internal)$/i.test(host.replace(/\.$/, "")) && !allowPrivate) {
    throw new SsrfError(`refused: ${host} is a local name`);
  }
  return url;
}

export type Resolver = (host: string) => Promise<string[]>;

/** A and AAAA records; a name with neither cannot be called. */
export const dnsResolver: Resolver = async (host) => {
  const settled = await Promise.allSettled([
    Deno.resolveDns(host, "A", { signal: AbortSignal.timeout(5_000) }),
    Deno.resolveDns(host, "AAAA", { signal: AbortSignal.timeout(5_000) }),
  ]);
  return settled.flatMap((s) => (s.status === "fulfilled" ? s.value : []));
};

/** Checks the URL and every address its host resolves to now. */
export async function checkWebhookTarget(raw: string, allowPrivate: boolean, resolve: Resolver = dnsResolver) {
  const url = checkWebhookUrl(raw, allowPrivate);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (ipaddr.isValid(host)) return url;
  const addresses = await resolve(host);
  if (!addresses.length) throw new SsrfError(`refused: ${host} does not resolve`);
  for (const a of addresses) {
    const why = addressRefusal(a, allowPrivate);
    if (why) throw new SsrfError(`refused: ${host} resolves to ${why}`);
  }
  return url;
}
