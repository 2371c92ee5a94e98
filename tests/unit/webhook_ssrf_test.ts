/** SSRF refusals of webhook URLs: literal IPv4/IPv6 in every spelling, names resolving to private addresses. */
import assert from "node:assert/strict";
import { addressRefusal, checkWebhookTarget, checkWebhookUrl, SsrfError } from "../../services/notifications/ssrf.ts";

const refused = (url: string, allowPrivate = false) =>
  assert.throws(() => checkWebhookUrl(url, allowPrivate), SsrfError, `${url} should be refused`);

Deno.test("ssrf: private, loopback, link-local, CGNAT, multicast, unspecified IPv4 are refused", () => {
  for (
    const u of [
      "http://127.0.0.1/hook",
      "http://10.1.2.3/",
      "http://172.16.0.1/",
      "http://192.168.1.1/",
      "http://169.254.169.254/latest/meta-data",
      "http://100.64.0.1/",
      "http://224.0.0.1/",
      "http://0.0.0.0/",
      "http://255.255.255.255/",
    ]
  ) refused(u);
});

Deno.test("ssrf: decimal, octal, hex and short IPv4 forms are refused as the address they mean", () => {
  for (
    const u of [
      "http://2130706433/", // 127.0.0.1
      "http://0177.0.0.1/",
      "http://0x7f.0.0.1/",
      "http://0x7f000001/",
      "http://127.1/",
      "http://3232235777/", // 192.168.1.1
      "http://0xa9fea9fe/", // 169.254.169.254
    ]
  ) refused(u);
});

Deno.test("ssrf: IPv6 loopback, link-local, unique-local, multicast, unspecified and IPv4-mapped are refused", () => {
  for (
    const u of [
      "http://[::1]/",
      "http://[fe80::1]/",
      "http://[fd00::1]/",
      "http://[ff02::1]/",
      "http://[::]/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:7f00:1]/",
      "http://[::ffff:a9fe:a9fe]/",
      "http://[::ffff:10.0.0.1]/",
    ]
  ) refused(u);
});

Deno.test("ssrf: other schemes, credentials and local names are refused; public addresses pass", () => {
  refused("ftp://93.184.216.34/");
  refused("file:///etc/passwd");
  refused("http://user:pw@93.184.216.34/");
  refused("http://localhost:8080/");
  refused("http://metadata.google.internal/");
  assert.equal(checkWebhookUrl("https://93.184.216.34/hook", false).hostname, "93.184.216.34");
  assert.equal(checkWebhookUrl("https://[2606:4700::1111]/", false).hostname, "[2606:4700::1111]");
  assert.equal(addressRefusal("8.8.8.8", false), null);
  assert.match(addressRefusal("::ffff:192.168.0.1", false) ?? "", /private/);
});

Deno.test("ssrf: WEBHOOK_ALLOW_PRIVATE lets loopback and private through, never link-local", () => {
  assert.equal(checkWebhookUrl("http://127.0.0.1:9000/", true).port, "9000");
  assert.equal(addressRefusal("10.0.0.1", true), null);
  refused("http://169.254.169.254/", true);
  refused("http://0.0.0.0/", true);
});

Deno.test("ssrf: a name is checked against every address it resolves to", async () => {
  const dns = (map: Record<string, string[]>) => (h: string) => Promise.resolve(map[h] ?? []);
  await assert.rejects(
    checkWebhookTarget("https://rebind.example/", false, dns({ "rebind.example": ["93.184.216.34", "10.0.0.5"] })),
    /resolves to 10\.0\.0\.5 is a private address/,
  );
  await assert.rejects(
    checkWebhookTarget("https://mapped.example/", false, dns({ "mapped.example": ["::ffff:127.0.0.1"] })),
    /loopback/,
  );
  await assert.rejects(checkWebhookTarget("https://nowhere.example/", false, dns({})), /does not resolve/);
  const ok = await checkWebhookTarget("https://ok.example/x", false, dns({ "ok.example": ["93.184.216.34"] }));
  assert.equal(ok.pathname, "/x");
});
