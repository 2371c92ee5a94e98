/**
 * WebSocket helpers for the realtime tests: a client that queues what it
 * receives and waits for a frame of a given type, a raw handshake that shows
 * the status and headers of the upgrade response, and a serve() of the
 * in-process app on a real port (WebSocket upgrades need a real connection).
 */
import type { Hono } from "hono";
import type { ServerMessage } from "../../services/realtime/protocol.ts";
import type { HubSocket, RealtimeHub } from "../../services/realtime/hub.ts";

export type Frame<T extends ServerMessage["type"]> = Extract<ServerMessage, { type: T }>;

export class WsProbe {
  readonly frames: ServerMessage[] = [];
  #queue: ServerMessage[] = [];
  #waiters: (() => void)[] = [];
  readonly closed: Promise<CloseEvent>;
  readonly openedAt = performance.now();

  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as ServerMessage;
      this.frames.push(msg);
      this.#queue.push(msg);
      for (const w of this.#waiters.splice(0)) w();
    };
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (ev) => {
        resolve(ev);
        for (const w of this.#waiters.splice(0)) w();
      });
    });
  }

  /** Opens a socket; rejects when the handshake fails (e.g. 401). Headers are a Deno extension of WebSocket. */
  static open(url: string, headers: Record<string, string> = {}): Promise<WsProbe> {
    // deno-lint-ignore no-explicit-any
    const ws = new WebSocket(url, { headers } as any);
    const probe = new WsProbe(ws);
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(probe);
      ws.onerror = (e) => reject(new Error(`WebSocket to ${url} failed: ${(e as ErrorEvent).message ?? "error"}`));
    });
  }

  /** The oldest frame of `type` not yet taken (frames of other types stay for their own next()). */
  async next<T extends ServerMessage["type"]>(type: T, timeoutMs = 10_000): Promise<Frame<T>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const i = this.#queue.findIndex((m) => m.type === type);
      if (i >= 0) {
        return this.#queue.splice(i, 1)[0] as Frame<T>;
      }
      const left = deadline - performance.now();
      if (left <= 0 || this.ws.readyState >= WebSocket.CLOSING) {
        throw new Error(`no ${type} frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames).slice(0, 800)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Frames of `type` received within `ms` from now (for asserting that nothing comes). */
  async collect<T extends ServerMessage["type"]>(type: T, ms: number): Promise<Frame<T>[]> {
    const from = this.frames.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.frames.slice(from).filter((m) => m.type === type) as Frame<T>[];
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  async close(): Promise<void> {
    if (this.ws.readyState < WebSocket.CLOSING) this.ws.close();
    await this.closed;
  }
}

/** The upgrade response's status line and headers, from a hand-written handshake. */
export async function rawHandshake(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; conn: Deno.TcpConn }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))))}`,
    "Sec-WebSocket-Version: 13",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
  let head = "";
  const buf = new Uint8Array(1);
  // Byte by byte up to the blank line, so nothing of the WebSocket stream after it is consumed.
  while (!head.endsWith("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) break;
    head += String.fromCharCode(buf[0]);
  }
  const [statusLine, ...headerLines] = head.trim().split("\r\n");
  const out = new Headers();
  for (const l of headerLines) {
    const i = l.indexOf(":");
    out.append(l.slice(0, i).trim(), l.slice(i + 1).trim());
  }
  return { status: Number(statusLine.split(" ")[1]), headers: out, conn };
}

/**
 * Reads server frames (unmasked) off a raw connection after a handshake: text
 * frames as parsed JSON, until `until` is satisfied or the time runs out.
 */
export async function readFrames(
  conn: Deno.TcpConn,
  until: (frames: ServerMessage[]) => boolean,
  timeoutMs = 5000,
): Promise<ServerMessage[]> {
  const frames: ServerMessage[] = [];
  let buf = new Uint8Array(0);
  const chunk = new Uint8Array(1 << 16);
  const deadline = performance.now() + timeoutMs;
  const decoder = new TextDecoder();
  while (!until(frames)) {
    if (performance.now() > deadline) throw new Error(`readFrames: timed out after ${frames.length} frames`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      conn.read(chunk),
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), Math.max(1, deadline - performance.now()))),
    ]);
    clearTimeout(timer);
    if (n === "timeout") throw new Error(`readFrames: timed out after ${frames.length} frames`);
    if (n === null) break;
    const next = new Uint8Array(buf.length + n);
    next.set(buf);
    next.set(chunk.subarray(0, n), buf.length);
    buf = next;
    for (;;) {
      if (buf.length < 2) break;
      const opcode = buf[0] & 0x0f;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) break;
        len = (buf[2] << 8) | buf[3];
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) break;
        len = Number(new DataView(buf.buffer, buf.byteOffset + 2, 8).getBigUint64(0));
        off = 10;
      }
      if (buf.length < off + len) break;
      if (opcode === 1) frames.push(JSON.parse(decoder.decode(buf.subarray(off, off + len))));
      buf = buf.slice(off + len);
    }
  }
  return frames;
}

/** Serves the in-process app on a free port for real WebSocket clients. */
export function serve(app: Hono): { port: number; url: string; ws: string; server: Deno.HttpServer } {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
  const port = (server.addr as Deno.NetAddr).port;
  return { port, server, url: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}` };
}

export async function waitFor(pred: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A socket accepted by `hub` that is open at once and records what it is sent (no network). */
export function hubClient(
  hub: RealtimeHub,
  who: Omit<Parameters<RealtimeHub["accept"]>[1], "userId"> & { userId?: string },
): ServerMessage[] {
  const frames: ServerMessage[] = [];
  const s: HubSocket = {
    readyState: 1,
    bufferedAmount: 0,
    send: (d) => frames.push(JSON.parse(d)),
    close() {},
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  };
  hub.accept(s, { userId: crypto.randomUUID(), ...who });
  return frames;
}
