/**
 * The browser side of the price stream (protocol: ./protocol.ts), for islands.
 * Browser-safe: no Deno APIs, and only types from the server modules, so the
 * island bundle carries @preact/signals and nothing else.
 *
 * State is observable as signals: `state` drives the connection banner
 * ("connecting", "open", "reconnecting", "failed" with a Reconnect button that
 * calls `reconnect()`, "closed" after `close()`); `prices` holds the newest
 * tick per zone+market and is replaced, not mutated, once per frame.
 *
 * Reconnects use exponential backoff with full jitter (a random delay in
 * [0, min(max, base·2^(n-1)))), so a server restart is not met by every
 * browser at once; after `maxAttempts` failed attempts in a row the state is
 * "failed" and nothing more happens until `reconnect()`. A close code
 * 4400–4499 (e.g. unknown zone) fails at once: retrying cannot help. After a
 * reconnect the client asks again for the zones it wants and takes the new
 * snapshot. It answers heartbeats, and treats a server that has sent nothing
 * for 2.5 heartbeats as gone (closing cleanly could take as long again, so it
 * drops the socket and reconnects).
 *
 * A browser cannot see why a WebSocket upgrade failed, and an expired access token fails it (401): when a
 * connection closes before its welcome, `checkSession` (components/api_client.ts in pages) renews the
 * session if it has to, then the client reconnects as usual; if the session has ended the state is "failed"
 * with that reason, since retrying cannot help until the user signs in again.
 */
import { type Signal, signal } from "@preact/signals";
import type { PriceTick } from "../market/types.ts";
import type { Iso } from "../market/zones.ts";
import type {
  AlertMessage,
  ErrorMessage,
  PricesMessage,
  ServerMessage,
  SnapshotMessage,
  WelcomeMessage,
} from "./protocol.ts";
import { ticksOf } from "./rows.ts";

export type ConnectionState = "connecting" | "open" | "reconnecting" | "failed" | "closed";

/** The part of the browser's WebSocket the client uses (a fake in tests). */
export interface ClientSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
}

export interface ClientTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface RealtimeClientOptions {
  /** `/api/ws/prices`, `/api/ws/market/PJM`, or an absolute ws:// or wss:// URL. */
  url: string;
  /** The zones wanted on /api/ws/prices (default: every zone). */
  zones?: Iso[];
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Heartbeat interval assumed until the welcome names it. */
  heartbeatMs?: number;
  /** How many recent alerts `alerts` keeps. */
  keepAlerts?: number;
  /** Injected in tests; default: the browser's WebSocket, timers and Math.random. */
  createSocket?: (url: string) => ClientSocket;
  timers?: ClientTimers;
  random?: () => number;
  onPrices?: (ticks: PriceTick[], msg: PricesMessage) => void;
  onSnapshot?: (msg: SnapshotMessage) => void;
  onAlert?: (alert: AlertMessage) => void;
  /** The organization has new audit entries (/api/ws/audit). */
  onAudit?: () => void;
  /** Each connection's welcome: the first, and every one after a reconnect (what a feed may have missed). */
  onWelcome?: (msg: WelcomeMessage, reconnected: boolean) => void;
  /**
   * Which alerts become toasts here: the bell's connection (`true`) toasts only the user's notifications
   * that asked for a toast; every other connection toasts only the rest (bid outcomes, admins' messages).
   * Each alert reaches every connection of its user, so this is what keeps a page from showing it twice.
   */
  notificationToasts?: boolean;
  onServerError?: (msg: ErrorMessage) => void;
  /** Asked when a connection closes before its welcome: renew the session if it must be. */
  checkSession?: () => Promise<"ok" | "ended" | "unknown">;
}

export interface RealtimeClient {
  readonly state: Signal<ConnectionState>;
  /** Reconnect attempts since the last good connection. */
  readonly attempt: Signal<number>;
  readonly lastError: Signal<string | null>;
  /** Newest tick per `ZONE|MARKET`. */
  readonly prices: Signal<Readonly<Record<string, PriceTick>>>;
  readonly alerts: Signal<readonly AlertMessage[]>;
  /** The subscription as the server last confirmed it. */
  readonly zones: Signal<readonly Iso[]>;
  readonly connectionId: Signal<string | null>;
  subscribe(zones: Iso[]): void;
  unsubscribe(zones: Iso[]): void;
  /** Removes an alert from `alerts` (the reader closed its toast). */
  dismissAlert(id: string): void;
  /** Starts over after "failed" (or at any time): a fresh connection and a fresh attempt budget. */
  reconnect(): void;
  close(): void;
}

/** Full jitter: uniform in [0, min(max, base·2^(attempt-1))). */
export function backoffDelay(attempt: number, random: () => number, baseMs: number, maxMs: number): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** (attempt - 1)));
}

function resolveUrl(url: string, zones: readonly Iso[] | "all"): string {
  let full = url;
  if (!/^wss?:\/\//.test(url)) {
    const loc = (globalThis as { location?: { protocol: string; host: string } }).location;
    if (!loc) throw new Error(`realtime: a relative URL (${url}) needs a page location`);
    full = `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}${url}`;
  }
  // Only /api/ws/prices takes ?zones=; on a zone's own stream the extra zones are subscribed after the welcome.
  if (zones !== "all" && zones.length && /\/api\/ws\/prices\/?(\?|$)/.test(full)) {
    full += (full.includes("?") ? "&" : "?") + "zones=" + zones.join(",");
  }
  return full;
}

const keyOf = (t: PriceTick) => `${t.zone}|${t.market}`;
const newerOrSame = (a: PriceTick, b: PriceTick) => Date.parse(a.interval_start) >= Date.parse(b.interval_start);

export function connectRealtime(opts: RealtimeClientOptions): RealtimeClient {
  const maxAttempts = opts.maxAttempts ?? 5;
  const baseDelay = opts.baseDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 15_000;
  const keepAlerts = opts.keepAlerts ?? 20;
  const timers: ClientTimers = opts.timers ?? {
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
    clearTimeout: (id) => globalThis.clearTimeout(id as number),
  };
  const random = opts.random ?? Math.random;
  const createSocket = opts.createSocket ?? ((url: string) => new WebSocket(url) as unknown as ClientSocket);

  const state = signal<ConnectionState>("connecting");
  const attempt = signal(0);
  const lastError = signal<string | null>(null);
  const prices = signal<Readonly<Record<string, PriceTick>>>({});
  const alerts = signal<readonly AlertMessage[]>([]);
  const zones = signal<readonly Iso[]>([]);
  const connectionId = signal<string | null>(null);

  /** What the caller wants: "all" is the /api/ws/prices default, which a subscribe replaces (as on the server). */
  let wanted: Set<Iso> | "all" = opts.zones?.length ? new Set(opts.zones) : "all";
  const zoneInPath = /\/api\/ws\/market\/([^/?#]+)/.exec(opts.url)?.[1];
  if (wanted === "all" && zoneInPath) wanted = new Set([decodeURIComponent(zoneInPath).toUpperCase() as Iso]);
  let socket: ClientSocket | null = null;
  let retryTimer: unknown = null;
  let watchdog: unknown = null;
  let heartbeatMs = opts.heartbeatMs ?? 20_000;
  let closedByUser = false;
  /** The current socket got its welcome (it was not refused at the upgrade). */
  let welcomed = false;
  let welcomes = 0;

  function send(msg: unknown): void {
    if (state.value !== "open" || !socket) return;
    try {
      socket.send(JSON.stringify(msg));
    } catch { /* the close event follows */ }
  }

  function clearTimer(id: unknown): null {
    if (id !== null) timers.clearTimeout(id);
    return null;
  }

  function armWatchdog(): void {
    watchdog = clearTimer(watchdog);
    watchdog = timers.setTimeout(() => {
      watchdog = null;
      lastError.value = "The server stopped answering";
      drop(4000, "heartbeat missed");
      scheduleRetry();
    }, heartbeatMs * 2.5);
  }

  /** Forgets the socket first, so its late events cannot touch the next connection. */
  function drop(code = 1000, reason = ""): void {
    const s = socket;
    socket = null;
    watchdog = clearTimer(watchdog);
    if (!s) return;
    s.onopen =
      s.onmessage =
      s.onclose =
      s.onerror =
        null;
    try {
      s.close(code, reason);
    } catch { /* already closed */ }
  }

  function connect(): void {
    state.value = attempt.value === 0 ? "connecting" : "reconnecting";
    let s: ClientSocket;
    try {
      s = createSocket(resolveUrl(opts.url, wanted === "all" ? "all" : [...wanted]));
    } catch (e) {
      lastError.value = e instanceof Error ? e.message : String(e);
      scheduleRetry();
      return;
    }
    socket = s;
    welcomed = false;
    s.onopen = () => armWatchdog();
    s.onmessage = (ev) => {
      if (socket !== s) return;
      armWatchdog();
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      handle(msg);
    };
    s.onerror = () => {};
    s.onclose = (ev) => {
      if (socket !== s) return;
      socket = null;
      watchdog = clearTimer(watchdog);
      if (ev.code >= 4400 && ev.code < 4500) {
        lastError.value = ev.reason || `The server refused the stream (${ev.code})`;
        state.value = "failed";
        return;
      }
      if (ev.reason) lastError.value = ev.reason;
      if (!welcomed && opts.checkSession) return void recheckSession(opts.checkSession);
      scheduleRetry();
    };
  }

  async function recheckSession(check: NonNullable<RealtimeClientOptions["checkSession"]>): Promise<void> {
    const verdict = await check().catch(() => "unknown" as const);
    if (closedByUser || socket) return;
    if (verdict === "ended") {
      lastError.value = "Your session has ended: sign in again";
      state.value = "failed";
      return;
    }
    // Renewed if it had to be, or the failure was not the session's: the usual backoff either way.
    scheduleRetry();
  }

  function scheduleRetry(): void {
    if (closedByUser) return;
    if (attempt.value >= maxAttempts) {
      state.value = "failed";
      lastError.value ??= "Could not connect";
      return;
    }
    attempt.value++;
    state.value = "reconnecting";
    retryTimer = timers.setTimeout(() => {
      retryTimer = null;
      connect();
    }, backoffDelay(attempt.value, random, baseDelay, maxDelay));
  }

  function onWelcome(msg: WelcomeMessage): void {
    welcomed = true;
    heartbeatMs = msg.heartbeat_ms;
    connectionId.value = msg.connection_id;
    zones.value = msg.zones;
    attempt.value = 0;
    lastError.value = null;
    state.value = "open";
    armWatchdog();
    // Ask again for what the caller wants (a new connection starts from the URL's defaults).
    if (wanted !== "all") {
      const have = new Set(msg.zones);
      const add = [...wanted].filter((z) => !have.has(z));
      const remove = msg.zones.filter((z) => !(wanted as Set<Iso>).has(z));
      if (add.length) send({ type: "subscribe", zones: add });
      if (remove.length) send({ type: "unsubscribe", zones: remove });
    }
    opts.onWelcome?.(msg, welcomes++ > 0);
  }

  function merge(ticks: PriceTick[], replaceZones?: readonly Iso[]): void {
    const next: Record<string, PriceTick> = { ...prices.value };
    if (replaceZones) {
      const zs = new Set<string>(replaceZones);
      for (const k of Object.keys(next)) if (zs.has(next[k].zone)) delete next[k];
    }
    for (const t of ticks) {
      const prev = next[keyOf(t)];
      if (!prev || newerOrSame(t, prev)) next[keyOf(t)] = t;
    }
    prices.value = next;
  }

  function handle(msg: ServerMessage): void {
    switch (msg.type) {
      case "welcome":
        return onWelcome(msg);
      case "snapshot":
        merge(msg.ticks, msg.zones);
        opts.onSnapshot?.(msg);
        return;
      case "prices": {
        const ticks = ticksOf(msg);
        merge(ticks);
        opts.onPrices?.(ticks, msg);
        return;
      }
      case "subscribed": {
        zones.value = msg.zones;
        const keep = new Set<string>(msg.zones);
        const next = Object.fromEntries(Object.entries(prices.value).filter(([, t]) => keep.has(t.zone)));
        prices.value = next;
        return;
      }
      case "alert":
        if (opts.notificationToasts ? msg.notification?.toast === true : !msg.notification) {
          alerts.value = [...alerts.value, msg].slice(-keepAlerts);
        }
        opts.onAlert?.(msg);
        return;
      case "audit":
        opts.onAudit?.();
        return;
      case "heartbeat":
        send({ type: "pong", ts: msg.ts });
        return;
      case "error":
        lastError.value = msg.message;
        opts.onServerError?.(msg);
        return;
      case "pong":
        return;
    }
  }

  connect();

  return {
    state,
    attempt,
    lastError,
    prices,
    alerts,
    zones,
    connectionId,
    subscribe(list) {
      if (!list.length) return;
      // As on the server: the first subscribe replaces the "every zone" default.
      wanted = wanted === "all" ? new Set(list) : new Set([...wanted, ...list]);
      send({ type: "subscribe", zones: list });
    },
    dismissAlert(id) {
      alerts.value = alerts.value.filter((a) => a.id !== id);
    },
    unsubscribe(list) {
      if (!list.length) return;
      const base = wanted === "all" ? new Set(zones.value) : wanted;
      for (const z of list) base.delete(z);
      wanted = base;
      send({ type: "unsubscribe", zones: list });
    },
    reconnect() {
      closedByUser = false;
      retryTimer = clearTimer(retryTimer);
      drop();
      attempt.value = 0;
      lastError.value = null;
      connect();
    },
    close() {
      closedByUser = true;
      retryTimer = clearTimer(retryTimer);
      drop(1000, "closed by the page");
      state.value = "closed";
    },
  };
}
