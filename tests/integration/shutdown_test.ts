/**
 * A graceful stop, as a load balancer sees it: of the requests a client sent before SIGTERM
 * (on new connections and on idle keep-alive ones) every one gets a complete answer, none a
 * reset; /health/ready says 503 right after the signal, with `Connection: close`; the process
 * exits 0 within its shutdown timeout.
 */
import assert from "node:assert/strict";
import { spawnApp } from "../helpers/spawn_app.ts";

const SHUTDOWN_TIMEOUT_MS = 8_000;

/** One HTTP/1.1 exchange on a raw socket, so that what "sent" and "answered" mean is exact. */
class RawConnection {
  private buf = new Uint8Array(0);
  private constructor(private conn: Deno.TcpConn) {}

  static async open(port: number): Promise<RawConnection> {
    return new RawConnection(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Resolves once the whole request is written to the socket. */
  async send(path: string, keepAlive: boolean): Promise<void> {
    const req = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n` +
      `Connection: ${keepAlive ? "keep-alive" : "close"}\r\n\r\n`;
    const bytes = new TextEncoder().encode(req);
    for (let off = 0; off < bytes.length;) off += await this.conn.write(bytes.subarray(off));
  }

  private async more(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.conn.read(chunk);
    if (n === null) return false;
    const next = new Uint8Array(this.buf.length + n);
    next.set(this.buf);
    next.set(chunk.subarray(0, n), this.buf.length);
    this.buf = next;
    return true;
  }

  /**
   * Reads one complete response (status, headers, the whole body by Content-Length, chunked
   * framing or the end of the stream). Throws on a reset or a response cut short.
   */
  async response(): Promise<{ status: number; headers: Headers; bodyLength: number }> {
    const text = () => new TextDecoder().decode(this.buf);
    let headEnd: number;
    while ((headEnd = text().indexOf("\r\n\r\n")) < 0) {
      if (!await this.more()) throw new Error(`connection closed before a response: ${JSON.stringify(text())}`);
    }
    const [statusLine, ...lines] = text().slice(0, headEnd).split("\r\n");
    const status = Number(statusLine.split(" ")[1]);
    const headers = new Headers(
      lines.map((l): [string, string] => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]),
    );
    const bodyStart = new TextEncoder().encode(text().slice(0, headEnd + 4)).length;
    const length = headers.get("content-length");
    if (length !== null) {
      while (this.buf.length < bodyStart + Number(length)) {
        if (!await this.more()) throw new Error(`body cut short (${this.buf.length - bodyStart} of ${length})`);
      }
      this.buf = this.buf.slice(bodyStart + Number(length));
      return { status, headers, bodyLength: Number(length) };
    }
    if (headers.get("transfer-encoding")?.includes("chunked")) {
      while (!text().slice(headEnd).includes("\r\n0\r\n\r\n")) {
        if (!await this.more()) throw new Error("chunked body cut short");
      }
      const bodyLength = this.buf.length - bodyStart;
      this.buf = new Uint8Array(0);
      return { status, headers, bodyLength };
    }
    while (await this.more()) { /* to the end of the stream */ }
    return { status, headers, bodyLength: this.buf.length - bodyStart };
  }

  close() {
    try {
      this.conn.close();
    } catch { /* closed by the server */ }
  }
}

Deno.test({
  name: "SIGTERM under load: every request sent before it is answered, ready turns 503, exit 0",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const app = await spawnApp({ SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), MARKET_SOURCE: "off" });
    const port = Number(new URL(app.url).port);
    const conns: RawConnection[] = [];
    try {
      await app.waitReady();
      // Idle keep-alive connections, as a client's pool holds them.
      const kept = await Promise.all(Array.from({ length: 20 }, () => RawConnection.open(port)));
      conns.push(...kept);
      for (const c of kept) {
        await c.send("/health/live", true);
        assert.equal((await c.response()).status, 200);
      }
      // 60 requests, each wholly written before the signal: 40 on new connections, 20 on the idle ones.
      const fresh = await Promise.all(Array.from({ length: 40 }, () => RawConnection.open(port)));
      conns.push(...fresh);
      const paths = ["/api/openapi.json", "/login", "/system-status", "/health"];
      const inFlight = [...fresh, ...kept];
      await Promise.all(inFlight.map((c, i) => c.send(paths[i % paths.length], i >= fresh.length)));
      const signalledAt = performance.now();
      app.signal("SIGTERM");
      const answers = Promise.allSettled(inFlight.map((c) => c.response()));

      // Right after the signal, readiness says 503 (and the connection is not kept).
      let ready: { status: number; headers: Headers } | null = null;
      while (performance.now() - signalledAt < 2_000) {
        const probe = await RawConnection.open(port);
        conns.push(probe);
        await probe.send("/health/ready", true);
        const r = await probe.response();
        if (r.status !== 200) {
          ready = r;
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(ready, "a readiness probe after the signal is answered");
      assert.equal(ready.status, 503);
      assert.equal(ready.headers.get("connection"), "close");

      const settled = await answers;
      const failed = settled.flatMap((s, i) => s.status === "rejected" ? [`#${i}: ${s.reason}`] : []);
      assert.deepEqual(failed, [], "no request sent before the signal is reset or cut short");
      const statuses = settled.map((s) => s.status === "fulfilled" ? s.value.status : 0);
      assert.ok(statuses.every((s) => s < 500 || s === 503), `answers: ${statuses}`);
      assert.ok(statuses.filter((s) => s === 200).length >= 40, `most are served in full: ${statuses}`);

      const status = await app.exited;
      const tookMs = performance.now() - signalledAt;
      assert.equal(status.code, 0, "exits 0");
      assert.ok(tookMs < SHUTDOWN_TIMEOUT_MS, `exits within the shutdown timeout (${Math.round(tookMs)} ms)`);
      assert.ok(!app.logs.some((l) => l.msg === "shutdown timed out; closing anyway"), "drained without the timeout");
    } finally {
      for (const c of conns) c.close();
      await app.stop();
    }
  },
});
