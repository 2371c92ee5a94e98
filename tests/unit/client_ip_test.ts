import assert from "node:assert/strict";
import { clientIp, isTrusted } from "../../services/auth/client_ip.ts";

Deno.test("X-Forwarded-For counts only when the peer is a trusted proxy", () => {
  const cases: [string, string | null, string[], string][] = [
    // [peer, X-Forwarded-For, trusted, expected]
    ["203.0.113.9", null, [], "203.0.113.9"],
    ["203.0.113.9", "1.2.3.4", [], "203.0.113.9"], // no proxies configured: header ignored
    ["203.0.113.9", "1.2.3.4", ["10.0.0.0/8"], "203.0.113.9"], // peer is not a proxy: a client spoofing it
    ["10.0.0.5", "1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"],
    // A client that sends its own XFF: the proxy appends the real address; the rightmost untrusted hop wins.
    ["10.0.0.5", "6.6.6.6, 1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"],
    ["10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.7", ["10.0.0.0/8"], "1.2.3.4"],
    ["127.0.0.1", "198.51.100.7", ["127.0.0.1"], "198.51.100.7"],
    ["::ffff:127.0.0.1", "198.51.100.7", ["127.0.0.1"], "198.51.100.7"],
    ["::1", "2001:db8::1", ["::1"], "2001:db8::1"],
    ["fd00::3", "2001:db8::1", ["fd00::/8"], "2001:db8::1"],
  ];
  for (const [peer, xff, trusted, expected] of cases) {
    assert.equal(clientIp(peer, xff, trusted), expected, `${peer} ${xff} ${trusted}`);
  }
});

Deno.test("CIDR matching", () => {
  assert.ok(isTrusted("192.168.1.77", ["192.168.1.0/24"]));
  assert.ok(!isTrusted("192.168.2.1", ["192.168.1.0/24"]));
  assert.ok(isTrusted("10.1.2.3", ["0.0.0.0/0"]));
  assert.ok(!isTrusted("not-an-ip", ["0.0.0.0/0"]));
  assert.ok(!isTrusted("::1", ["127.0.0.1"]));
  assert.ok(isTrusted("2001:db8:0:0::5", ["2001:db8::/32"]));
});
